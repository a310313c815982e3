/* lmtp-load.c - LMTP load generator for the benchmark (tests/bench/lmtp).
 *
 * Not part of the product: tests/bench/lmtp compiles it into build/bench/.
 * Opens N concurrent LMTP connections to one server over TCP and delivers M
 * messages in all, each to one recipient picked at random among U users.
 * Message i's size and recipient come from a PRNG seeded with (seed, i), so
 * every server gets exactly the same load. Each message has a unique first
 * body line and a body taken from a random offset of a text pool, so no two
 * messages share a body (single-instance storage gains nothing unfair).
 *
 * Per message it records the latency from the end of DATA (the last byte
 * written to the socket) to the final reply, and counts 250 / 4xx / 5xx
 * replies and connections that broke (never greeted, reset, timed out:
 * their messages go to the other connections). It prints one line of
 * key=value results on stdout; exit status 0 when every message got 250
 * and no connection broke.
 *
 * It must never retry: a refused or failed message is counted, not resent,
 * so the counts are what a real client would have seen. */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define POOL_LINE_LEN 78                 /* 76 characters + CRLF */
#define POOL_BYTES (6u * 1024 * 1024)     /* text the bodies are cut from */
#define MAX_SIZES 8
#define MAX_CONNS 20000
#define MAX_LINE 4096

enum conn_state {
	CONN_GREETING,  /* waiting for 220 */
	CONN_LHLO,      /* waiting for the LHLO reply */
	CONN_ENVELOPE,  /* MAIL, RCPT, DATA sent pipelined: waiting for 3 replies */
	CONN_BODY,      /* message sent: waiting for the final reply */
	CONN_RSET,      /* after a refused envelope */
	CONN_QUIT,
	CONN_DONE,
};

struct load_settings {
	const char *host;
	int port;
	unsigned conns;
	unsigned messages;
	unsigned users;
	const char *user_fmt;
	uint64_t seed;
	unsigned timeout_s;
	unsigned reply_timeout_s;
	size_t sizes[MAX_SIZES];
	unsigned weights[MAX_SIZES];
	unsigned size_count;
	unsigned weight_total;
	bool verbose;
};

struct load_conn;

struct load_context {
	struct load_settings set;
	struct event_base *base;
	char *pool;
	size_t pool_lines;
	unsigned next_message;   /* next message index to start */
	unsigned finished;       /* messages with a final answer or failed */
	unsigned conns_open;
	double *latency_ms;      /* one per message that got a final reply */
	unsigned latency_count;
	unsigned r250, r2xx_other, r4xx, r5xx, errors;
	unsigned conn_failed;    /* connections that broke (no greeting, reset, timeout) */
	uint64_t bytes_sent;
	char first_failure[256];
	struct timespec start;
	struct load_conn *conns;
};

struct load_conn {
	struct load_context *ctx;
	struct bufferevent *bev;
	unsigned id;
	enum conn_state state;
	unsigned replies_wanted;
	int codes[3];
	unsigned code_count;
	unsigned message;        /* index of the message in progress */
	bool in_message;
	bool size_ok;            /* the server announced SIZE in its LHLO reply */
	bool data_written;       /* the whole message has left our buffer */
	struct timespec data_end;
};

static double now_diff_ms(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1000.0 +
	       (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static void load_note_failure(struct load_context *ctx, const char *what)
{
	if (ctx->first_failure[0] == '\0')
		snprintf(ctx->first_failure, sizeof(ctx->first_failure), "%s", what);
}

static void pool_fill(struct load_context *ctx)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ";
	uint64_t x = ctx->set.seed ^ 0x5eedULL;
	ctx->pool_lines = POOL_BYTES / POOL_LINE_LEN;
	ctx->pool = malloc(ctx->pool_lines * POOL_LINE_LEN);
	if (ctx->pool == NULL) {
		perror("malloc");
		exit(2);
	}
	for (size_t l = 0; l < ctx->pool_lines; l++) {
		char *line = ctx->pool + l * POOL_LINE_LEN;
		for (size_t i = 0; i < POOL_LINE_LEN - 2; i++)
			line[i] = alphabet[splitmix64(&x) % (sizeof(alphabet) - 1)];
		line[0] = 'L'; /* never a leading '.' or space */
		line[POOL_LINE_LEN - 2] = '\r';
		line[POOL_LINE_LEN - 1] = '\n';
	}
}

/* Size and recipient of message i: the same for every run with this seed. */
static void message_params(const struct load_context *ctx, unsigned i, size_t *size_r,
			   unsigned *user_r, size_t *pool_line_r)
{
	uint64_t x = ctx->set.seed * 1000003ULL + i;
	uint64_t w = splitmix64(&x) % ctx->set.weight_total;
	size_t size = ctx->set.sizes[0];
	for (unsigned k = 0; k < ctx->set.size_count; k++) {
		if (w < ctx->set.weights[k]) {
			size = ctx->set.sizes[k];
			break;
		}
		w -= ctx->set.weights[k];
	}
	*size_r = size;
	*user_r = (unsigned)(splitmix64(&x) % ctx->set.users);
	*pool_line_r = (size_t)splitmix64(&x);
}

static void conn_close(struct load_conn *conn);

static void conn_send_envelope(struct load_conn *conn)
{
	struct load_context *ctx = conn->ctx;
	if (ctx->next_message >= ctx->set.messages) {
		conn->state = CONN_QUIT;
		conn->replies_wanted = 1;
		bufferevent_write(conn->bev, "QUIT\r\n", 6);
		return;
	}
	conn->message = ctx->next_message++;
	conn->in_message = true;
	size_t size, line;
	unsigned user;
	message_params(ctx, conn->message, &size, &user, &line);
	char rcpt[512];
	snprintf(rcpt, sizeof(rcpt), ctx->set.user_fmt, user);
	struct evbuffer *out = bufferevent_get_output(conn->bev);
	if (conn->size_ok)
		evbuffer_add_printf(out, "MAIL FROM:<bench@load.test> SIZE=%zu\r\n", size);
	else
		evbuffer_add_printf(out, "MAIL FROM:<bench@load.test>\r\n");
	evbuffer_add_printf(out, "RCPT TO:<%s>\r\nDATA\r\n", rcpt);
	conn->state = CONN_ENVELOPE;
	conn->replies_wanted = 3;
	conn->code_count = 0;
}

static void conn_send_body(struct load_conn *conn)
{
	struct load_context *ctx = conn->ctx;
	size_t size, line;
	unsigned user;
	message_params(ctx, conn->message, &size, &user, &line);
	char rcpt[512];
	snprintf(rcpt, sizeof(rcpt), ctx->set.user_fmt, user);
	struct evbuffer *out = bufferevent_get_output(conn->bev);
	char head[1024];
	int head_len = snprintf(head, sizeof(head),
				"From: Load Generator <bench@load.test>\r\n"
				"To: <%s>\r\n"
				"Subject: benchmark message %u\r\n"
				"Message-ID: <bench.%" PRIu64 ".%u@load.test>\r\n"
				"Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n"
				"MIME-Version: 1.0\r\n"
				"Content-Type: text/plain; charset=us-ascii\r\n"
				"\r\n"
				"message %u of run %" PRIu64 "\r\n",
				rcpt, conn->message, ctx->set.seed, conn->message,
				conn->message, ctx->set.seed);
	evbuffer_add(out, head, (size_t)head_len);
	size_t body = size > (size_t)head_len ? size - (size_t)head_len : 0;
	size_t lines = body / POOL_LINE_LEN;
	if (lines > ctx->pool_lines)
		lines = ctx->pool_lines;
	size_t first = line % (ctx->pool_lines - lines + 1);
	if (lines > 0)
		evbuffer_add_reference(out, ctx->pool + first * POOL_LINE_LEN,
				       lines * POOL_LINE_LEN, NULL, NULL);
	evbuffer_add(out, ".\r\n", 3);
	ctx->bytes_sent += (size_t)head_len + lines * POOL_LINE_LEN;
	conn->state = CONN_BODY;
	conn->replies_wanted = 1;
	conn->data_written = false;
}

static void load_finish_message(struct load_conn *conn, int code, const char *text)
{
	struct load_context *ctx = conn->ctx;
	conn->in_message = false;
	ctx->finished++;
	if (code == 250)
		ctx->r250++;
	else if (code >= 200 && code < 300)
		ctx->r2xx_other++;
	else if (code >= 400 && code < 500)
		ctx->r4xx++;
	else if (code >= 500 && code < 600)
		ctx->r5xx++;
	else
		ctx->errors++;
	if (code != 250) {
		char what[256];
		snprintf(what, sizeof(what), "message %u: %s", conn->message, text);
		load_note_failure(ctx, what);
		if (ctx->set.verbose)
			fprintf(stderr, "lmtp-load: %s\n", what);
	}
}

static void load_check_done(struct load_context *ctx)
{
	if (ctx->conns_open == 0)
		event_base_loopexit(ctx->base, NULL);
}

static void conn_fail(struct load_conn *conn, const char *why)
{
	struct load_context *ctx = conn->ctx;
	char what[256];
	snprintf(what, sizeof(what), "connection %u: %s", conn->id, why);
	load_note_failure(ctx, what);
	ctx->conn_failed++;
	if (ctx->set.verbose)
		fprintf(stderr, "lmtp-load: %s\n", what);
	if (conn->in_message) {
		conn->in_message = false;
		ctx->finished++;
		ctx->errors++;
	}
	conn_close(conn);
}

static void conn_close(struct load_conn *conn)
{
	if (conn->state == CONN_DONE)
		return;
	conn->state = CONN_DONE;
	bufferevent_free(conn->bev);
	conn->bev = NULL;
	conn->ctx->conns_open--;
	load_check_done(conn->ctx);
}

/* One final reply (code, text of its last line) arrived. */
static void conn_reply(struct load_conn *conn, int code, const char *text)
{
	struct load_context *ctx = conn->ctx;
	switch (conn->state) {
	case CONN_GREETING:
		if (code != 220) {
			conn_fail(conn, text);
			return;
		}
		conn->state = CONN_LHLO;
		bufferevent_write(conn->bev, "LHLO load.test\r\n", 16);
		return;
	case CONN_LHLO:
		if (code != 250) {
			conn_fail(conn, text);
			return;
		}
		conn_send_envelope(conn);
		return;
	case CONN_ENVELOPE:
		conn->codes[conn->code_count++] = code;
		if (conn->code_count < 3)
			return;
		if (conn->codes[2] == 354) {
			conn_send_body(conn);
			return;
		}
		/* refused: the first refusal is the message's answer */
		int refusal = conn->codes[0] != 250 ? conn->codes[0] :
			      conn->codes[1] != 250 ? conn->codes[1] : conn->codes[2];
		load_finish_message(conn, refusal, text);
		conn->state = CONN_RSET;
		bufferevent_write(conn->bev, "RSET\r\n", 6);
		return;
	case CONN_BODY: {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (!conn->data_written)
			conn->data_end = now;
		ctx->latency_ms[ctx->latency_count++] = now_diff_ms(&conn->data_end, &now);
		load_finish_message(conn, code, text);
		if (code == 421) {
			conn_fail(conn, text);
			return;
		}
		conn_send_envelope(conn);
		return;
	}
	case CONN_RSET:
		conn_send_envelope(conn);
		return;
	case CONN_QUIT:
		conn_close(conn);
		return;
	case CONN_DONE:
		return;
	}
}

static void conn_read_cb(struct bufferevent *bev, void *context)
{
	struct load_conn *conn = context;
	struct evbuffer *in = bufferevent_get_input(bev);
	char *line;
	size_t len;
	while (conn->state != CONN_DONE &&
	       (line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF)) != NULL) {
		if (len < 3 || line[0] < '0' || line[0] > '9') {
			char why[200];
			snprintf(why, sizeof(why), "bad reply line '%.100s'", line);
			free(line);
			conn_fail(conn, why);
			return;
		}
		if (conn->state == CONN_LHLO && len >= 8 && strncmp(line + 4, "SIZE", 4) == 0 &&
		    (line[8] == '\0' || line[8] == ' '))
			conn->size_ok = true;
		if (len > 3 && line[3] == '-') {
			free(line); /* continuation line */
			continue;
		}
		int code = atoi(line);
		conn_reply(conn, code, line);
		free(line);
	}
}

static void conn_write_cb(struct bufferevent *bev, void *context)
{
	(void)bev;
	struct load_conn *conn = context;
	if (conn->state == CONN_BODY && !conn->data_written) {
		conn->data_written = true;
		clock_gettime(CLOCK_MONOTONIC, &conn->data_end);
	}
}

static void conn_event_cb(struct bufferevent *bev, short events, void *context)
{
	(void)bev;
	struct load_conn *conn = context;
	if (events & BEV_EVENT_CONNECTED) {
		evutil_socket_t fd = bufferevent_getfd(conn->bev);
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		return;
	}
	if (conn->state == CONN_QUIT && (events & BEV_EVENT_EOF)) {
		conn_close(conn);
		return;
	}
	char why[160];
	if (events & BEV_EVENT_TIMEOUT)
		snprintf(why, sizeof(why), "timeout in state %d", conn->state);
	else if (events & BEV_EVENT_EOF)
		snprintf(why, sizeof(why), "server closed the connection in state %d", conn->state);
	else
		snprintf(why, sizeof(why), "%s in state %d",
			 evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()), conn->state);
	conn_fail(conn, why);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double percentile(const double *sorted, unsigned n, double p)
{
	if (n == 0)
		return 0;
	double rank = p / 100.0 * (n - 1);
	unsigned lo = (unsigned)rank;
	unsigned hi = lo + 1 < n ? lo + 1 : lo;
	double frac = rank - lo;
	return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

static int parse_sizes(struct load_settings *set, const char *spec)
{
	/* "4096" or "4096:80,102400:18,2097152:2"; K and M suffixes allowed */
	char *copy = strdup(spec), *save = NULL;
	set->size_count = 0;
	set->weight_total = 0;
	for (char *tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (set->size_count == MAX_SIZES)
			goto bad;
		char *end;
		unsigned long long v = strtoull(tok, &end, 10);
		if (*end == 'K' || *end == 'k')
			v *= 1024, end++;
		else if (*end == 'M' || *end == 'm')
			v *= 1024 * 1024, end++;
		unsigned long weight = 1;
		if (*end == ':')
			weight = strtoul(end + 1, &end, 10);
		if (*end != '\0' || v == 0 || weight == 0 || v > POOL_BYTES)
			goto bad;
		set->sizes[set->size_count] = (size_t)v;
		set->weights[set->size_count++] = (unsigned)weight;
		set->weight_total += (unsigned)weight;
	}
	free(copy);
	return set->size_count > 0 ? 0 : -1;
bad:
	free(copy);
	return -1;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: lmtp-load -p PORT [-h HOST] [-c CONNS] [-n MESSAGES] [-s SIZES]\n"
		"                 [-u USERS] [-f USER_FORMAT] [-S SEED] [-t TIMEOUT] [-r SECONDS] [-v]\n"
		"  -s SIZES  one size (4096, 100K, 2M) or a weighted mix 4K:80,100K:18,2M:2\n"
		"  -f        recipient printf format with one %%u, default user%%04u@bench.test\n"
		"  -t        give up after this many seconds (default 600)\n"
		"  -r        a connection waits this long for a reply (default 60)\n");
	exit(2);
}

static void load_timeout_cb(evutil_socket_t fd, short what, void *context)
{
	(void)fd;
	(void)what;
	struct load_context *ctx = context;
	load_note_failure(ctx, "overall time limit reached");
	event_base_loopbreak(ctx->base);
}

int main(int argc, char **argv)
{
	static struct load_context ctx;
	struct load_settings *set = &ctx.set;
	set->host = "127.0.0.1";
	set->conns = 16;
	set->messages = 1000;
	set->users = 1000;
	set->user_fmt = "user%04u@bench.test";
	set->seed = 2033;
	set->timeout_s = 600;
	set->reply_timeout_s = 60;
	parse_sizes(set, "4096");
	int opt;
	while ((opt = getopt(argc, argv, "h:p:c:n:s:u:f:S:t:r:v")) != -1) {
		switch (opt) {
		case 'h': set->host = optarg; break;
		case 'p': set->port = atoi(optarg); break;
		case 'c': set->conns = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'n': set->messages = (unsigned)strtoul(optarg, NULL, 10); break;
		case 's': if (parse_sizes(set, optarg) < 0) usage(); break;
		case 'u': set->users = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'f': set->user_fmt = optarg; break;
		case 'S': set->seed = strtoull(optarg, NULL, 10); break;
		case 't': set->timeout_s = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'r': set->reply_timeout_s = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'v': set->verbose = true; break;
		default: usage();
		}
	}
	if (set->port <= 0 || set->port > 65535 || set->conns == 0 || set->conns > MAX_CONNS ||
	    set->users == 0 || set->messages == 0 ||
	    (strstr(set->user_fmt, "%u") == NULL && strstr(set->user_fmt, "%04u") == NULL))
		usage();
	signal(SIGPIPE, SIG_IGN);

	pool_fill(&ctx);
	ctx.latency_ms = calloc(set->messages + 1, sizeof(double));
	ctx.conns = calloc(set->conns, sizeof(struct load_conn));
	ctx.base = event_base_new();
	if (ctx.latency_ms == NULL || ctx.conns == NULL || ctx.base == NULL) {
		fprintf(stderr, "lmtp-load: out of memory\n");
		return 2;
	}
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)set->port);
	if (inet_pton(AF_INET, set->host, &sin.sin_addr) != 1) {
		fprintf(stderr, "lmtp-load: %s is not an IPv4 address\n", set->host);
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &ctx.start);
	struct timeval reply_timeout = { (time_t)set->reply_timeout_s, 0 };
	for (unsigned i = 0; i < set->conns; i++) {
		struct load_conn *conn = &ctx.conns[i];
		conn->ctx = &ctx;
		conn->id = i;
		conn->state = CONN_GREETING;
		conn->bev = bufferevent_socket_new(ctx.base, -1, BEV_OPT_CLOSE_ON_FREE);
		bufferevent_setcb(conn->bev, conn_read_cb, conn_write_cb, conn_event_cb, conn);
		bufferevent_set_timeouts(conn->bev, &reply_timeout, NULL);
		bufferevent_enable(conn->bev, EV_READ | EV_WRITE);
		ctx.conns_open++;
		if (bufferevent_socket_connect(conn->bev, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
			conn_fail(conn, "connect failed");
		}
	}
	struct timeval limit = { (time_t)set->timeout_s, 0 };
	struct event *timer = evtimer_new(ctx.base, load_timeout_cb, &ctx);
	evtimer_add(timer, &limit);
	if (ctx.conns_open > 0)
		event_base_dispatch(ctx.base);
	struct timespec end;
	clock_gettime(CLOCK_MONOTONIC, &end);
	double seconds = now_diff_ms(&ctx.start, &end) / 1000.0;

	/* messages never started or never answered (all connections gone) */
	unsigned unanswered = set->messages - ctx.finished;
	qsort(ctx.latency_ms, ctx.latency_count, sizeof(double), cmp_double);
	printf("conns=%u messages=%u answered=%u seconds=%.3f msgs_per_s=%.1f mb_per_s=%.2f "
	       "p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f "
	       "r250=%u r2xx_other=%u r4xx=%u r5xx=%u errors=%u unanswered=%u conn_failed=%u\n",
	       set->conns, set->messages, ctx.finished, seconds,
	       seconds > 0 ? ctx.r250 / seconds : 0.0,
	       seconds > 0 ? ctx.bytes_sent / seconds / 1e6 : 0.0,
	       percentile(ctx.latency_ms, ctx.latency_count, 50),
	       percentile(ctx.latency_ms, ctx.latency_count, 90),
	       percentile(ctx.latency_ms, ctx.latency_count, 99),
	       ctx.latency_count ? ctx.latency_ms[ctx.latency_count - 1] : 0.0,
	       ctx.r250, ctx.r2xx_other, ctx.r4xx, ctx.r5xx, ctx.errors, unanswered,
	       ctx.conn_failed);
	if (ctx.first_failure[0] != '\0')
		fprintf(stderr, "lmtp-load: first failure: %s\n", ctx.first_failure);

	for (unsigned i = 0; i < set->conns; i++) {
		if (ctx.conns[i].state != CONN_DONE)
			bufferevent_free(ctx.conns[i].bev);
	}
	event_free(timer);
	event_base_free(ctx.base);
	free(ctx.conns);
	free(ctx.latency_ms);
	free(ctx.pool);
	bool clean = ctx.r250 == set->messages && ctx.conn_failed == 0;
	return clean ? 0 : 1;
}
