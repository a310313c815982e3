/* auth-throttle.c - growing delays for failed logins per client address and
 * per account (see auth-throttle.h): a bounded hash table of decaying
 * scores behind one mutex.
 *
 * Must never turn into a lockout: the delay is capped, the score decays,
 * and a full table forgets the least suspicious entry rather than refusing.
 */
#include "auth-throttle.h"
#include "xalloc.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Scores below this are as good as zero: the entry may be dropped. */
#define AUTH_THROTTLE_NEGLIGIBLE 0.05
/* Longest key kept ("a:" or "u:" + address). */
#define AUTH_THROTTLE_KEY_MAX 320

struct auth_throttle_entry {
	struct auth_throttle_entry *next; /* bucket chain */
	double score;
	uint64_t updated_ms;
	char key[];
};

struct auth_throttle {
	struct auth_throttle_settings set;
	pthread_mutex_t lock;
	struct auth_throttle_entry **buckets;
	size_t bucket_count; /* a power of two */
	size_t count;
};

void auth_throttle_settings_default(struct auth_throttle_settings *set_r)
{
	*set_r = (struct auth_throttle_settings){
		.base_delay_ms = 500,
		.max_address_delay_ms = 30000,
		.max_account_delay_ms = 15000,
		.half_life_secs = 300,
		.max_entries = 65536,
	};
}

struct auth_throttle *auth_throttle_create(const struct auth_throttle_settings *set)
{
	struct auth_throttle *throttle = xcalloc(1, sizeof(*throttle));
	throttle->set = *set;
	if (throttle->set.max_entries < 2)
		throttle->set.max_entries = 2;
	if (throttle->set.half_life_secs == 0)
		throttle->set.half_life_secs = 1;
	throttle->bucket_count = 16;
	while (throttle->bucket_count < throttle->set.max_entries && throttle->bucket_count < (1u << 20))
		throttle->bucket_count <<= 1;
	throttle->buckets = xcalloc(throttle->bucket_count, sizeof(*throttle->buckets));
	pthread_mutex_init(&throttle->lock, NULL);
	return throttle;
}

void auth_throttle_free(struct auth_throttle **throttlep)
{
	struct auth_throttle *throttle = *throttlep;
	if (throttle == NULL)
		return;
	*throttlep = NULL;
	for (size_t b = 0; b < throttle->bucket_count; b++) {
		struct auth_throttle_entry *entry = throttle->buckets[b];
		while (entry != NULL) {
			struct auth_throttle_entry *next = entry->next;
			free(entry);
			entry = next;
		}
	}
	free(throttle->buckets);
	pthread_mutex_destroy(&throttle->lock);
	free(throttle);
}

/* FNV-1a */
static size_t auth_throttle_hash(const char *key)
{
	uint64_t h = 14695981039346656037ull;
	for (const unsigned char *p = (const unsigned char *)key; *p != '\0'; p++)
		h = (h ^ *p) * 1099511628211ull;
	return (size_t)h;
}

static double auth_throttle_decayed(const struct auth_throttle *throttle,
				    const struct auth_throttle_entry *entry, uint64_t now_ms)
{
	if (now_ms <= entry->updated_ms)
		return entry->score;
	double age = (double)(now_ms - entry->updated_ms) / 1000.0;
	return entry->score * exp2(-age / throttle->set.half_life_secs);
}

/* "a:<address>" or "u:<account>" into key; false for an empty or overlong one. */
static bool auth_throttle_key(enum auth_throttle_kind kind, const char *name, char *key, size_t size)
{
	size_t len = strlen(name);
	if (len == 0 || len + 3 > size)
		return false;
	key[0] = kind == AUTH_THROTTLE_ADDRESS ? 'a' : 'u';
	key[1] = ':';
	memcpy(key + 2, name, len + 1);
	return true;
}

static struct auth_throttle_entry **auth_throttle_slot(struct auth_throttle *throttle, const char *key)
{
	struct auth_throttle_entry **slot =
		&throttle->buckets[auth_throttle_hash(key) & (throttle->bucket_count - 1)];
	while (*slot != NULL && strcmp((*slot)->key, key) != 0)
		slot = &(*slot)->next;
	return slot;
}

static void auth_throttle_unlink(struct auth_throttle *throttle, struct auth_throttle_entry **slot)
{
	struct auth_throttle_entry *entry = *slot;
	*slot = entry->next;
	free(entry);
	throttle->count--;
}

/* Make room for one entry: drop every negligible one, or else the one with
 * the least score. */
static void auth_throttle_evict(struct auth_throttle *throttle, uint64_t now_ms)
{
	struct auth_throttle_entry **least = NULL;
	double least_score = 0;
	for (size_t b = 0; b < throttle->bucket_count; b++) {
		struct auth_throttle_entry **slot = &throttle->buckets[b];
		while (*slot != NULL) {
			double score = auth_throttle_decayed(throttle, *slot, now_ms);
			if (score < AUTH_THROTTLE_NEGLIGIBLE) {
				auth_throttle_unlink(throttle, slot);
				least = NULL; /* slots may have moved: look again below */
				continue;
			}
			if (least == NULL || score < least_score) {
				least = slot;
				least_score = score;
			}
			slot = &(*slot)->next;
		}
	}
	if (throttle->count < throttle->set.max_entries)
		return;
	if (least == NULL) {
		/* an unlink invalidated the pointer: find the least again */
		for (size_t b = 0; b < throttle->bucket_count; b++) {
			for (struct auth_throttle_entry **slot = &throttle->buckets[b]; *slot != NULL;
			     slot = &(*slot)->next) {
				double score = auth_throttle_decayed(throttle, *slot, now_ms);
				if (least == NULL || score < least_score) {
					least = slot;
					least_score = score;
				}
			}
		}
	}
	if (least != NULL)
		auth_throttle_unlink(throttle, least);
}

/* One more failure for key (creating its entry). */
static void auth_throttle_fail_key(struct auth_throttle *throttle, const char *key,
				   uint64_t now_ms)
{
	struct auth_throttle_entry **slot = auth_throttle_slot(throttle, key);
	double before = *slot != NULL ? auth_throttle_decayed(throttle, *slot, now_ms) : 0;
	if (*slot == NULL) {
		if (throttle->count >= throttle->set.max_entries) {
			auth_throttle_evict(throttle, now_ms);
			slot = auth_throttle_slot(throttle, key);
		}
		size_t len = strlen(key);
		struct auth_throttle_entry *entry = xcalloc(1, sizeof(*entry) + len + 1);
		memcpy(entry->key, key, len + 1);
		*slot = entry;
		throttle->count++;
	}
	(*slot)->score = before + 1.0;
	(*slot)->updated_ms = now_ms;
}

/* base * 2^(n - 1) for a score rounding to n >= 1, capped. */
static unsigned auth_throttle_delay(const struct auth_throttle *throttle, double score, unsigned max_ms)
{
	double n = floor(score + 0.5);
	if (n < 1.0)
		return 0;
	double delay = throttle->set.base_delay_ms * exp2(fmin(n, 40.0) - 1.0);
	return delay >= max_ms ? max_ms : (unsigned)delay;
}

/* The key's current score (lock held). */
static double auth_throttle_get(struct auth_throttle *throttle, const char *key, uint64_t now_ms)
{
	struct auth_throttle_entry **slot = auth_throttle_slot(throttle, key);
	return *slot != NULL ? auth_throttle_decayed(throttle, *slot, now_ms) : 0;
}

unsigned auth_throttle_delay_ms(struct auth_throttle *throttle, const char *address,
				const char *account, uint64_t now_ms)
{
	char key[AUTH_THROTTLE_KEY_MAX];
	unsigned delay = 0, d;
	pthread_mutex_lock(&throttle->lock);
	if (auth_throttle_key(AUTH_THROTTLE_ADDRESS, address, key, sizeof(key))) {
		d = auth_throttle_delay(throttle, auth_throttle_get(throttle, key, now_ms),
					throttle->set.max_address_delay_ms);
		delay = d > delay ? d : delay;
	}
	if (auth_throttle_key(AUTH_THROTTLE_ACCOUNT, account, key, sizeof(key))) {
		d = auth_throttle_delay(throttle, auth_throttle_get(throttle, key, now_ms),
					throttle->set.max_account_delay_ms);
		delay = d > delay ? d : delay;
	}
	pthread_mutex_unlock(&throttle->lock);
	return delay;
}

void auth_throttle_failed(struct auth_throttle *throttle, const char *address,
			  const char *account, uint64_t now_ms)
{
	char key[AUTH_THROTTLE_KEY_MAX];
	pthread_mutex_lock(&throttle->lock);
	if (auth_throttle_key(AUTH_THROTTLE_ADDRESS, address, key, sizeof(key)))
		auth_throttle_fail_key(throttle, key, now_ms);
	if (auth_throttle_key(AUTH_THROTTLE_ACCOUNT, account, key, sizeof(key)))
		auth_throttle_fail_key(throttle, key, now_ms);
	pthread_mutex_unlock(&throttle->lock);
}

void auth_throttle_succeeded(struct auth_throttle *throttle, const char *address,
			     const char *account, uint64_t now_ms)
{
	char key[AUTH_THROTTLE_KEY_MAX];
	(void)address;
	(void)now_ms;
	pthread_mutex_lock(&throttle->lock);
	if (auth_throttle_key(AUTH_THROTTLE_ACCOUNT, account, key, sizeof(key))) {
		struct auth_throttle_entry **slot = auth_throttle_slot(throttle, key);
		if (*slot != NULL)
			auth_throttle_unlink(throttle, slot);
	}
	pthread_mutex_unlock(&throttle->lock);
}

double auth_throttle_score(struct auth_throttle *throttle, enum auth_throttle_kind kind,
			   const char *name, uint64_t now_ms)
{
	char key[AUTH_THROTTLE_KEY_MAX];
	double score = 0;
	pthread_mutex_lock(&throttle->lock);
	if (auth_throttle_key(kind, name, key, sizeof(key)))
		score = auth_throttle_get(throttle, key, now_ms);
	pthread_mutex_unlock(&throttle->lock);
	return score;
}

size_t auth_throttle_count(struct auth_throttle *throttle)
{
	pthread_mutex_lock(&throttle->lock);
	size_t count = throttle->count;
	pthread_mutex_unlock(&throttle->lock);
	return count;
}
