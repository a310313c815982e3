/* lmtp-submit.c - the submit queue: one thread that does, after a delivery
 * committed, what may block or take long: hand Sieve redirects and vacation
 * replies to Postfix's sendmail (`-i -f sender -- rcpt`, the message on
 * stdin, killed after timeout_secs), decide vacation :days in the database,
 * and deliver the quota warning.
 *
 * Never runs on a worker's event loop; workers only queue. A redirect that
 * cannot be handed to sendmail is never lost: it is stored in the user's
 * INBOX instead (without quota check) and the log says why; its owner (the
 * LMTP delivery, which answers 250 only then) hears through job->done.
 * Jobs are kept in memory only (no spool of our own: Postfix's is the
 * durable one once sendmail returned 0), so a redirect is answered 250
 * only after it is safe; vacation replies and quota checks are queued after
 * the reply and a crash may lose them.
 */
#include "lmtp-submit.h"
#include "base64.h"
#include "buf.h"
#include "log.h"
#include "mailbox-events.h"
#include "mime.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SUBMIT_PROTO "submit"
/* Bytes of sendmail's output kept for the log. */
#define SUBMIT_OUTPUT_MAX 512

extern char **environ;

struct lmtp_submit {
	struct lmtp_submit_settings set;
	char *sendmail_path, *config_dir, *warning_from, *hostname; /* set's strings */
	char **envp;                 /* environ + MAIL_CONFIG, built once */
	struct storage *storage;
	struct storage_conn *conn;   /* the thread's */
	pthread_t thread;
	bool started;                /* thread created */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct lmtp_submit_job *head, *tail; /* under lock */
	size_t count, bytes;                 /* under lock */
	bool stopping;                       /* under lock */
};

void lmtp_submit_job_free(struct lmtp_submit_job **jobp)
{
	struct lmtp_submit_job *job = *jobp;
	if (job == NULL)
		return;
	*jobp = NULL;
	free(job->user_address);
	free(job->sender);
	free(job->rcpt);
	free(job->data);
	free(job->trace);
	free(job->vacation_handle);
	free(job);
}

static double submit_now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run sendmail with data on stdin. 0 when it exited 0; else -1 and error
 * (what went wrong, with its first output). Bounded by timeout_secs. */
static int submit_sendmail(struct lmtp_submit *submit, const char *sender, const char *rcpt,
			   const unsigned char *data, size_t size, char *error, size_t error_size)
{
	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) < 0) {
		snprintf(error, error_size, "pipe: %s", strerror(errno));
		return -1;
	}
	if (pipe2(out, O_CLOEXEC) < 0) {
		snprintf(error, error_size, "pipe: %s", strerror(errno));
		close(in[0]);
		close(in[1]);
		return -1;
	}
	posix_spawn_file_actions_t actions;
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_adddup2(&actions, in[0], 0);
	posix_spawn_file_actions_adddup2(&actions, out[1], 1);
	posix_spawn_file_actions_adddup2(&actions, out[1], 2);
	/* none of the daemon's sockets and files go to sendmail */
	posix_spawn_file_actions_addclosefrom_np(&actions, 3);
	/* the daemon ignores SIGPIPE and its threads may block signals:
	 * sendmail starts with the defaults */
	posix_spawnattr_t attr;
	posix_spawnattr_init(&attr);
	sigset_t none, pipe_only;
	sigemptyset(&none);
	sigemptyset(&pipe_only);
	sigaddset(&pipe_only, SIGPIPE);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &pipe_only);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	char *argv[] = { submit->sendmail_path, (char *)"-i", (char *)"-f", (char *)sender,
			 (char *)"--", (char *)rcpt, NULL };
	pid_t pid;
	int ret = posix_spawn(&pid, submit->sendmail_path, &actions, &attr, argv, submit->envp);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&actions);
	close(in[0]);
	close(out[1]);
	if (ret != 0) {
		snprintf(error, error_size, "cannot run %s: %s", submit->sendmail_path,
			 strerror(ret));
		close(in[1]);
		close(out[0]);
		return -1;
	}
	(void)fcntl(in[1], F_SETFL, O_NONBLOCK);
	(void)fcntl(out[0], F_SETFL, O_NONBLOCK);

	char output[SUBMIT_OUTPUT_MAX + 1];
	size_t output_len = 0, written = 0;
	double deadline = submit_now_mono() + (submit->set.timeout_secs > 0 ?
					       submit->set.timeout_secs : 60);
	bool timed_out = false, write_failed = false;
	int in_fd = in[1], out_fd = out[0];
	if (size == 0) {
		close(in_fd);
		in_fd = -1;
	}
	while (in_fd >= 0 || out_fd >= 0) {
		double left = deadline - submit_now_mono();
		if (left <= 0) {
			timed_out = true;
			break;
		}
		struct pollfd pfd[2];
		nfds_t n = 0;
		if (in_fd >= 0)
			pfd[n++] = (struct pollfd){ .fd = in_fd, .events = POLLOUT };
		if (out_fd >= 0)
			pfd[n++] = (struct pollfd){ .fd = out_fd, .events = POLLIN };
		int r = poll(pfd, n, (int)(left * 1000) + 1);
		if (r < 0 && errno != EINTR)
			break;
		if (r <= 0)
			continue;
		for (nfds_t i = 0; i < n; i++) {
			if (pfd[i].revents == 0)
				continue;
			if (pfd[i].fd == in_fd) {
				ssize_t w = write(in_fd, data + written, size - written);
				if (w > 0)
					written += (size_t)w;
				if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == size) {
					if (w < 0)
						write_failed = true;
					close(in_fd);
					in_fd = -1;
				}
			} else {
				char buf[512];
				ssize_t rd = read(out_fd, buf, sizeof(buf));
				if (rd > 0) {
					size_t take = (size_t)rd;
					if (take > SUBMIT_OUTPUT_MAX - output_len)
						take = SUBMIT_OUTPUT_MAX - output_len;
					memcpy(output + output_len, buf, take);
					output_len += take;
				} else if (rd == 0 || (errno != EAGAIN && errno != EINTR)) {
					close(out_fd);
					out_fd = -1;
				}
			}
		}
	}
	if (in_fd >= 0)
		close(in_fd);
	if (out_fd >= 0)
		close(out_fd);
	int status = 0;
	for (;;) {
		pid_t w = waitpid(pid, &status, timed_out ? 0 : WNOHANG);
		if (w == pid || (w < 0 && errno != EINTR))
			break;
		if (w == 0 && submit_now_mono() >= deadline) {
			timed_out = true;
			kill(pid, SIGKILL);
			continue;
		}
		if (timed_out)
			kill(pid, SIGKILL);
		else
			usleep(10000);
	}
	output[output_len] = '\0';
	char printable[SUBMIT_OUTPUT_MAX + 1];
	log_printable(output, output_len, printable, sizeof(printable));
	if (timed_out) {
		snprintf(error, error_size, "sendmail timed out after %us", submit->set.timeout_secs);
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || write_failed ||
	    written != size) {
		snprintf(error, error_size, "sendmail %s %d: %s",
			 WIFEXITED(status) ? "exited" : "killed by signal",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), printable);
		return -1;
	}
	return 0;
}

/* Store data in user_id's INBOX without quota check (the message must not
 * be lost). 0 or -1 with error. */
static int submit_store_inbox(struct lmtp_submit *submit, int64_t user_id,
			      const unsigned char *data, size_t size, const char *trace,
			      char *error, size_t error_size)
{
	if (submit->conn == NULL) {
		snprintf(error, error_size, "no database connection");
		return -1;
	}
	struct mime_message *msg = NULL;
	const char *err;
	if (mime_message_parse(data, size, &msg, &err) != 0) {
		snprintf(error, error_size, "parse: %s", err);
		return -1;
	}
	struct storage_delivery_rcpt rcpt = {
		.user_id = user_id,
		.trace = trace,
		.enforce_quota = false,
	};
	struct storage_delivery delivery = {
		.message = msg,
		.internal_date = (int64_t)time(NULL),
		.rcpts = &rcpt,
		.rcpt_count = 1,
	};
	enum storage_result result = storage_deliver(submit->conn, &delivery, &err);
	if (result == STORAGE_OK && rcpt.result != STORAGE_OK) {
		result = rcpt.result;
		err = delivery.error;
	}
	mime_message_free(&msg);
	if (result != STORAGE_OK) {
		snprintf(error, error_size, "%s: %s", storage_result_str(result), err);
		return -1;
	}
	mailbox_events_changed(rcpt.mailbox_id_r);
	return 0;
}

/* The job's owner hears whether its message is safe (once). */
static void submit_job_done(struct lmtp_submit_job *job, bool safe)
{
	if (job->done != NULL) {
		void (*done)(bool safe, void *context) = job->done;
		job->done = NULL;
		done(safe, job->done_context);
	}
}

static void submit_redirect(struct lmtp_submit *submit, struct lmtp_submit_job *job)
{
	char error[SUBMIT_OUTPUT_MAX + 128];
	if (submit_sendmail(submit, job->sender, job->rcpt, job->data, job->size, error,
			    sizeof(error)) == 0) {
		log_info(job->sid, SUBMIT_PROTO, "redirected", "user_id=%lld from=<%s> to=<%s> "
			 "size=%zu", (long long)job->user_id, job->sender, job->rcpt, job->size);
		submit_job_done(job, true);
		return;
	}
	log_warning(job->sid, SUBMIT_PROTO, "redirect_failed", "user_id=%lld to=<%s> "
		    "error=\"%s\" kept=INBOX", (long long)job->user_id, job->rcpt, error);
	/* the copy sent on carries our loop-guard header first: store the
	 * message as it arrived */
	const unsigned char *data = job->data;
	size_t size = job->size;
	const unsigned char *eol = memchr(data, '\n', size);
	if (size > 24 && strncasecmp((const char *)data, "X-Tandem-Redirected-By:", 23) == 0 &&
	    eol != NULL) {
		size -= (size_t)(eol + 1 - data);
		data = eol + 1;
	}
	char store_error[256];
	if (submit_store_inbox(submit, job->user_id, data, size, job->trace, store_error,
			       sizeof(store_error)) < 0) {
		/* the LMTP client then gets 451 for it and tries again */
		log_error(job->sid, SUBMIT_PROTO, "redirect_not_kept", "user_id=%lld to=<%s> "
			  "error=\"%s\"", (long long)job->user_id, job->rcpt, store_error);
		submit_job_done(job, false);
		return;
	}
	log_info(job->sid, SUBMIT_PROTO, "redirect_kept", "user_id=%lld mailbox=INBOX",
		 (long long)job->user_id);
	submit_job_done(job, true);
}

static void submit_vacation(struct lmtp_submit *submit, struct lmtp_submit_job *job)
{
	bool send = false;
	const char *err = "no database connection";
	if (submit->conn == NULL ||
	    storage_vacation_check_record(submit->conn, job->user_id, job->rcpt,
					  job->vacation_handle, job->vacation_days,
					  (int64_t)time(NULL), &send, &err) != STORAGE_OK) {
		log_error(job->sid, SUBMIT_PROTO, "vacation_failed", "user_id=%lld to=<%s> "
			  "error=\"%s\"", (long long)job->user_id, job->rcpt, err);
		return;
	}
	if (!send) {
		log_info(job->sid, SUBMIT_PROTO, "vacation_skipped", "user_id=%lld to=<%s> "
			 "reason=already_answered days=%u", (long long)job->user_id, job->rcpt,
			 job->vacation_days);
		return;
	}
	char error[SUBMIT_OUTPUT_MAX + 128];
	if (submit_sendmail(submit, "", job->rcpt, job->data, job->size, error,
			    sizeof(error)) < 0) {
		log_warning(job->sid, SUBMIT_PROTO, "vacation_failed", "user_id=%lld to=<%s> "
			    "error=\"%s\"", (long long)job->user_id, job->rcpt, error);
		return;
	}
	log_info(job->sid, SUBMIT_PROTO, "vacation_sent", "user_id=%lld to=<%s> days=%u",
		 (long long)job->user_id, job->rcpt, job->vacation_days);
}

static void submit_quota_check(struct lmtp_submit *submit, struct lmtp_submit_job *job)
{
	unsigned percent = submit->set.quota_warning_percent;
	if (percent == 0 || submit->conn == NULL)
		return;
	if (percent > 100)
		percent = 100;
	bool warn = false;
	struct storage_user user;
	const char *err;
	if (storage_quota_warning_check(submit->conn, job->user_id, percent, &warn, &user,
					&err) != STORAGE_OK) {
		log_error(job->sid, SUBMIT_PROTO, "quota_warning_failed", "user_id=%lld error=\"%s\"",
			  (long long)job->user_id, err);
		return;
	}
	if (!warn)
		return;
	unsigned share_bytes = user.quota_bytes > 0 ?
		(unsigned)(user.used_bytes * 100 / user.quota_bytes) : 0;
	unsigned share_msgs = user.quota_messages > 0 ?
		(unsigned)(user.used_messages * 100 / user.quota_messages) : 0;
	unsigned share = share_bytes > share_msgs ? share_bytes : share_msgs;
	const char *at = strchr(user.address, '@');
	char *from = submit->warning_from[0] != '\0' ? xstrdup(submit->warning_from) :
		     xasprintf("postmaster@%s", at != NULL ? at + 1 : "localhost");
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	uint64_t rnd = 0;
	if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		rnd = (uint64_t)now ^ (uint64_t)job->user_id;
	char *text = xasprintf(
		"From: <%s>\r\nTo: <%s>\r\nSubject: Your mailbox is %u%% full\r\nDate: %s\r\n"
		"Message-ID: <quota.%lld.%016llx@%s>\r\nAuto-Submitted: auto-generated\r\n"
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
		"Your mailbox %s is %u%% full.\r\n\r\n"
		"Storage used: %lld of %lld bytes%s\r\nMessages: %lld of %lld%s\r\n\r\n"
		"When it is full, new mail is refused. Please delete messages you no longer\r\n"
		"need (and empty the Trash folder).\r\n",
		from, user.address, share, date, (long long)job->user_id,
		(unsigned long long)rnd, submit->hostname, user.address, share,
		(long long)user.used_bytes, (long long)user.quota_bytes,
		user.quota_bytes == 0 ? " (unlimited)" : "",
		(long long)user.used_messages, (long long)user.quota_messages,
		user.quota_messages == 0 ? " (unlimited)" : "");
	char *trace = xasprintf("Return-Path: <>\r\nDelivered-To: <%s>\r\n", user.address);
	char error[256];
	if (submit_store_inbox(submit, job->user_id, (const unsigned char *)text, strlen(text),
			       trace, error, sizeof(error)) < 0)
		log_error(job->sid, SUBMIT_PROTO, "quota_warning_failed", "user_id=%lld error=\"%s\"",
			  (long long)job->user_id, error);
	else
		log_info(job->sid, SUBMIT_PROTO, "quota_warning", "user_id=%lld used_bytes=%lld "
			 "quota_bytes=%lld used_messages=%lld quota_messages=%lld percent=%u",
			 (long long)job->user_id, (long long)user.used_bytes,
			 (long long)user.quota_bytes, (long long)user.used_messages,
			 (long long)user.quota_messages, share);
	free(text);
	free(trace);
	free(from);
}

static void *submit_thread(void *arg)
{
	struct lmtp_submit *submit = arg;
	pthread_mutex_lock(&submit->lock);
	for (;;) {
		while (submit->head == NULL && !submit->stopping)
			pthread_cond_wait(&submit->cond, &submit->lock);
		struct lmtp_submit_job *job = submit->head;
		if (job == NULL)
			break; /* stopping and drained */
		submit->head = job->next;
		if (submit->head == NULL)
			submit->tail = NULL;
		submit->count--;
		submit->bytes -= job->size;
		pthread_mutex_unlock(&submit->lock);
		job->next = NULL;
		switch (job->kind) {
		case LMTP_SUBMIT_REDIRECT: submit_redirect(submit, job); break;
		case LMTP_SUBMIT_VACATION: submit_vacation(submit, job); break;
		case LMTP_SUBMIT_QUOTA_CHECK: submit_quota_check(submit, job); break;
		}
		submit_job_done(job, false); /* a job that forgot to say */
		lmtp_submit_job_free(&job);
		pthread_mutex_lock(&submit->lock);
	}
	pthread_mutex_unlock(&submit->lock);
	return NULL;
}

int lmtp_submit_start(const struct lmtp_submit_settings *set, struct storage *storage,
		      struct lmtp_submit **submit_r, char **error_r)
{
	struct lmtp_submit *submit = xcalloc(1, sizeof(*submit));
	submit->set = *set;
	submit->sendmail_path = xstrdup(set->sendmail_path != NULL ? set->sendmail_path : "");
	submit->config_dir = xstrdup(set->sendmail_config_dir != NULL ?
				     set->sendmail_config_dir : "");
	submit->warning_from = xstrdup(set->quota_warning_from != NULL ?
				       set->quota_warning_from : "");
	submit->hostname = xstrdup(set->hostname != NULL && set->hostname[0] != '\0' ?
				   set->hostname : "localhost");
	submit->storage = storage;
	size_t n = 0;
	while (environ != NULL && environ[n] != NULL)
		n++;
	submit->envp = xcalloc(n + 2, sizeof(*submit->envp));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (submit->config_dir[0] != '\0' && strncmp(environ[i], "MAIL_CONFIG=", 12) == 0)
			continue;
		submit->envp[k++] = xstrdup(environ[i]);
	}
	if (submit->config_dir[0] != '\0')
		submit->envp[k++] = xasprintf("MAIL_CONFIG=%s", submit->config_dir);
	pthread_mutex_init(&submit->lock, NULL);
	pthread_cond_init(&submit->cond, NULL);
	const char *error;
	if (storage != NULL && storage_connect(storage, &submit->conn, &error) < 0) {
		*error_r = xasprintf("submit queue: %s", error);
		submit->conn = NULL;
		lmtp_submit_stop(&submit);
		return -1;
	}
	int ret = pthread_create(&submit->thread, NULL, submit_thread, submit);
	if (ret != 0) {
		*error_r = xasprintf("submit queue: pthread_create: %s", strerror(ret));
		storage_disconnect(&submit->conn);
		submit->conn = NULL;
		lmtp_submit_stop(&submit);
		return -1;
	}
	submit->started = true;
	*submit_r = submit;
	return 0;
}

void lmtp_submit_stop(struct lmtp_submit **submitp)
{
	struct lmtp_submit *submit = *submitp;
	if (submit == NULL)
		return;
	*submitp = NULL;
	pthread_mutex_lock(&submit->lock);
	bool running = !submit->stopping && submit->started;
	submit->stopping = true;
	pthread_cond_signal(&submit->cond);
	pthread_mutex_unlock(&submit->lock);
	if (running)
		pthread_join(submit->thread, NULL);
	/* only when the thread never ran */
	while (submit->head != NULL) {
		struct lmtp_submit_job *job = submit->head;
		submit->head = job->next;
		log_warning(job->sid, SUBMIT_PROTO, "dropped", "user_id=%lld kind=%d",
			    (long long)job->user_id, (int)job->kind);
		submit_job_done(job, false);
		lmtp_submit_job_free(&job);
	}
	if (submit->conn != NULL)
		storage_disconnect(&submit->conn);
	pthread_mutex_destroy(&submit->lock);
	pthread_cond_destroy(&submit->cond);
	for (size_t i = 0; submit->envp[i] != NULL; i++)
		free(submit->envp[i]);
	free(submit->envp);
	free(submit->sendmail_path);
	free(submit->config_dir);
	free(submit->warning_from);
	free(submit->hostname);
	free(submit);
}

void lmtp_submit_queue(struct lmtp_submit *submit, struct lmtp_submit_job *job)
{
	while (job != NULL) {
		struct lmtp_submit_job *next = job->next;
		job->next = NULL;
		bool taken = false;
		if (submit != NULL) {
			pthread_mutex_lock(&submit->lock);
			if (!submit->stopping) {
				if (submit->tail != NULL)
					submit->tail->next = job;
				else
					submit->head = job;
				submit->tail = job;
				submit->count++;
				submit->bytes += job->size;
				taken = true;
				pthread_cond_signal(&submit->cond);
			}
			pthread_mutex_unlock(&submit->lock);
		}
		if (!taken) {
			log_warning(job->sid, SUBMIT_PROTO, "dropped", "user_id=%lld kind=%d "
				    "reason=stopping", (long long)job->user_id, (int)job->kind);
			submit_job_done(job, false);
			lmtp_submit_job_free(&job);
		}
		job = next;
	}
}

bool lmtp_submit_running(struct lmtp_submit *submit)
{
	if (submit == NULL)
		return false;
	pthread_mutex_lock(&submit->lock);
	bool running = !submit->stopping;
	pthread_mutex_unlock(&submit->lock);
	return running;
}

bool lmtp_submit_busy(struct lmtp_submit *submit)
{
	if (submit == NULL)
		return true;
	pthread_mutex_lock(&submit->lock);
	bool busy = submit->stopping || submit->count >= LMTP_SUBMIT_QUEUE_MAX ||
		    submit->bytes >= LMTP_SUBMIT_QUEUE_BYTES_MAX;
	pthread_mutex_unlock(&submit->lock);
	return busy;
}

/* ---- composing a vacation reply ---- */

/* Append text as one header field value: controls become spaces. */
static void compose_value(struct buf *out, const char *text)
{
	for (const char *c = text; *c != '\0'; c++)
		buf_append_byte(out, (unsigned char)*c < 0x20 || *c == 0x7f ? ' ' :
				(unsigned char)*c);
}

/* Subject: as is when ASCII, else RFC 2047 B encoded words (UTF-8) of at
 * most 45 input bytes each, cut at character boundaries, folded. */
static void compose_subject(struct buf *out, const char *subject)
{
	bool ascii = true;
	for (const char *c = subject; *c != '\0'; c++)
		if ((unsigned char)*c >= 0x80)
			ascii = false;
	buf_append_str(out, "Subject: ");
	if (ascii) {
		compose_value(out, subject);
		buf_append_str(out, "\n");
		return;
	}
	size_t len = strlen(subject), pos = 0;
	while (pos < len) {
		size_t take = len - pos > 45 ? 45 : len - pos;
		while (take > 0 && pos + take < len &&
		       ((unsigned char)subject[pos + take] & 0xc0) == 0x80)
			take--;
		if (take == 0)
			take = len - pos > 45 ? 45 : len - pos;
		unsigned char chunk[46];
		for (size_t i = 0; i < take; i++) {
			unsigned char ch = (unsigned char)subject[pos + i];
			chunk[i] = ch < 0x20 || ch == 0x7f ? ' ' : ch;
		}
		char enc[BASE64_ENCODED_SIZE(45)];
		base64_encode(chunk, take, enc);
		buf_printf(out, "%s=?utf-8?B?%s?=", pos == 0 ? "" : "\n ", enc);
		pos += take;
	}
	buf_append_str(out, "\n");
}

char *lmtp_submit_compose_vacation(const char *from, const char *to, const char *subject,
				   const char *in_reply_to, const char *body, bool mime,
				   const char *hostname, int64_t now, size_t *size_r)
{
	struct buf out;
	buf_init(&out);
	char date[64];
	time_t t = (time_t)now;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	uint64_t rnd = 0;
	if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		rnd = (uint64_t)now;
	buf_append_str(&out, "From: ");
	compose_value(&out, from);
	buf_append_str(&out, "\nTo: ");
	compose_value(&out, to);
	buf_append_str(&out, "\n");
	compose_subject(&out, subject != NULL ? subject : "Auto: (no subject)");
	buf_printf(&out, "Date: %s\nMessage-ID: <vacation.%lld.%016llx@", date, (long long)now,
		   (unsigned long long)rnd);
	compose_value(&out, hostname != NULL && hostname[0] != '\0' ? hostname : "localhost");
	buf_append_str(&out, ">\n");
	if (in_reply_to != NULL && in_reply_to[0] != '\0') {
		buf_append_str(&out, "In-Reply-To: ");
		compose_value(&out, in_reply_to);
		buf_append_str(&out, "\nReferences: ");
		compose_value(&out, in_reply_to);
		buf_append_str(&out, "\n");
	}
	buf_append_str(&out, "Auto-Submitted: auto-replied (vacation)\nMIME-Version: 1.0\n");
	if (!mime)
		buf_append_str(&out, "Content-Type: text/plain; charset=utf-8\n"
			       "Content-Transfer-Encoding: 8bit\n\n");
	/* the body with LF line ends (a MIME entity brings its own header) */
	for (const char *c = body != NULL ? body : ""; *c != '\0'; c++) {
		if (*c == '\r' && c[1] == '\n')
			continue;
		buf_append_byte(&out, (unsigned char)*c);
	}
	if (out.len > 0 && out.data[out.len - 1] != '\n')
		buf_append_byte(&out, '\n');
	return buf_steal(&out, size_r);
}
