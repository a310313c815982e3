/* imap-load.c - IMAP load generator for the benchmark (tests/bench/imap).
 *
 * Not part of the product: tests/bench/imap compiles it into build/bench/.
 * Opens N concurrent IMAP connections to one server over TCP; connection i
 * logs in (LOGIN) as user number i modulo U and SELECTs INBOX. When every
 * connection is ready, each runs for T seconds a mix of operations drawn
 * from a PRNG seeded with (seed, i), so every server gets the same mix:
 *   fetch-window  FETCH a:b (FLAGS ENVELOPE) on a window of W messages
 *   fetch-body    FETCH n BODY.PEEK[]
 *   store         STORE n +FLAGS (\Seen) or -FLAGS (\Seen)
 *   append        APPEND INBOX of a 4 KB message (synchronizing literal)
 *   expunge       UID STORE of \Deleted on a message this connection
 *                 appended (its APPENDUID), then EXPUNGE; timed as one
 *                 operation. With no appended message left it appends.
 *   noop          NOOP
 * It records each operation's latency (command sent to tagged reply), counts
 * NO and BAD replies and connections that broke, and prints key=value lines
 * on stdout: one summary line, then one line per operation type.
 *
 * With -I (idle mode) it only logs in and selects, prints "ready N" when all
 * N connections have selected INBOX, holds them silent for T seconds, then
 * logs out: the benchmark measures the server's memory meanwhile.
 *
 * With -D (IDLE mode, tests/bench/imap-idle) each connection also sends
 * IDLE after SELECT; "ready N" when all N are idling (got the "+"); they
 * hold T seconds counting the EXISTS the server pushes (a delivery made
 * meanwhile), then DONE and LOGOUT, and a line "idle conns=N idling=N
 * pushes=P conns_pushed=C ..." is printed instead of the operation table.
 *
 * At most R connections (-R, default 200) are being set up at once; the
 * next one connects when one is ready, so thousands of connections do not
 * overrun the server's listen backlog.
 *
 * It must never retry: a failed operation is counted, not repeated. Exit
 * status 0 when no operation failed and no connection broke. */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define MAX_CONNS 20000
#define APPEND_SIZE 4096
#define MAX_APPENDED 64          /* UIDs a connection remembers for expunge */
#define MAX_LITERAL (64u << 20)  /* larger literal in a reply: protocol error */

enum load_op {
	OP_FETCH_WINDOW,
	OP_FETCH_BODY,
	OP_STORE,
	OP_APPEND,
	OP_EXPUNGE,
	OP_NOOP,
	OP_COUNT,
};

static const char *const op_names[OP_COUNT] = {
	"fetch-window", "fetch-body", "store", "append", "expunge", "noop",
};
/* the mix, in parts of 100 */
static const unsigned op_weights[OP_COUNT] = { 30, 15, 20, 10, 10, 15 };

enum conn_state {
	CONN_GREETING,   /* waiting for * OK */
	CONN_LOGIN,
	CONN_SELECT,
	CONN_READY,      /* selected; waiting for the others (or idling) */
	CONN_OP,         /* an operation's command sent: waiting for its tag */
	CONN_APPEND_CONT, /* APPEND sent: waiting for the + continuation */
	CONN_EXPUNGE_STORE, /* UID STORE \Deleted sent; EXPUNGE comes next */
	CONN_IDLE_CONT,  /* IDLE sent: waiting for the + continuation */
	CONN_IDLING,     /* idling (-D); counted ready */
	CONN_IDLE_DONE,  /* DONE sent: waiting for IDLE's tagged reply */
	CONN_LOGOUT,
	CONN_DONE,
};

struct load_settings {
	const char *host;
	int port;
	unsigned conns;
	unsigned seconds;
	unsigned users;
	const char *user_fmt;
	const char *password;
	uint64_t seed;
	unsigned window;
	unsigned reply_timeout_s;
	bool idle;
	bool idle_cmd;           /* -D: IDLE after SELECT */
	unsigned ramp;           /* -R: connections being set up at once */
	bool verbose;
};

struct op_stats {
	double *latency_ms;
	size_t count, alloc;
	unsigned no, bad;
};

struct load_conn;

struct load_context {
	struct load_settings set;
	struct event_base *base;
	struct load_conn *conns;
	unsigned conns_open;
	unsigned conns_ready;
	unsigned conns_started;  /* connections begun (ramp) */
	unsigned settling;       /* begun, neither ready nor closed */
	struct sockaddr_in addr;
	bool running;            /* the timed phase has started */
	bool stopping;           /* the timed phase is over: log out */
	struct timespec start, stop;
	struct event *timer;
	struct op_stats ops[OP_COUNT];
	unsigned disconnects;    /* connections that broke */
	unsigned setup_failed;   /* LOGIN or SELECT refused */
	char first_failure[256];
};

struct load_conn {
	struct load_context *ctx;
	struct bufferevent *bev;
	unsigned id;
	enum conn_state state;
	uint64_t rng;
	unsigned tag_seq;
	char tag[16];
	unsigned exists;
	enum load_op op;
	struct timespec op_start;
	size_t literal_left;     /* bytes of a literal in a reply still to skip */
	bool continuation;       /* the next line continues a response */
	uint32_t appended[MAX_APPENDED];
	unsigned appended_count;
	uint32_t pending_uid;    /* the UID the expunge operation is deleting */
	bool settled;            /* ready or closed: no longer in the ramp */
	unsigned pushes;         /* EXISTS increases seen while idling (-D) */
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static double diff_ms(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1000.0 +
	       (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static void note_failure(struct load_context *ctx, const char *what)
{
	if (ctx->first_failure[0] == '\0')
		snprintf(ctx->first_failure, sizeof(ctx->first_failure), "%s", what);
	if (ctx->set.verbose)
		fprintf(stderr, "imap-load: %s\n", what);
}

static void stats_add(struct op_stats *st, double ms)
{
	if (st->count == st->alloc) {
		st->alloc = st->alloc == 0 ? 1024 : st->alloc * 2;
		st->latency_ms = realloc(st->latency_ms, st->alloc * sizeof(double));
		if (st->latency_ms == NULL) {
			perror("realloc");
			exit(2);
		}
	}
	st->latency_ms[st->count++] = ms;
}

static void load_maybe_start(struct load_context *ctx);
static void load_connect_more(struct load_context *ctx);

/* The connection is ready or gone: let the next one connect. */
static void conn_settle(struct load_conn *conn)
{
	if (conn->settled)
		return;
	conn->settled = true;
	conn->ctx->settling--;
	load_connect_more(conn->ctx);
}

static bool conn_is_ready(const struct load_conn *conn)
{
	return conn->state == CONN_READY || conn->state == CONN_IDLING;
}

static void conn_close(struct load_conn *conn)
{
	struct load_context *ctx = conn->ctx;
	if (conn->state == CONN_DONE)
		return;
	conn->state = CONN_DONE;
	bufferevent_free(conn->bev);
	conn->bev = NULL;
	ctx->conns_open--;
	conn_settle(conn);
	if (ctx->conns_open == 0)
		event_base_loopexit(ctx->base, NULL);
}

static void conn_fail(struct load_conn *conn, const char *why)
{
	struct load_context *ctx = conn->ctx;
	char what[256];
	snprintf(what, sizeof(what), "connection %u: %s", conn->id, why);
	note_failure(ctx, what);
	ctx->disconnects++;
	bool was_ready = conn_is_ready(conn);
	conn_close(conn);
	if (was_ready)
		ctx->conns_ready--;
	load_maybe_start(ctx);
}

/* Start a command: a new tag, then the printf-formatted rest. */
static void conn_command(struct load_conn *conn, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void conn_command(struct load_conn *conn, const char *fmt, ...)
{
	struct evbuffer *out = bufferevent_get_output(conn->bev);
	snprintf(conn->tag, sizeof(conn->tag), "a%u", ++conn->tag_seq);
	evbuffer_add_printf(out, "%s ", conn->tag);
	va_list args;
	va_start(args, fmt);
	evbuffer_add_vprintf(out, fmt, args);
	va_end(args);
	evbuffer_add(out, "\r\n", 2);
}

static void conn_logout(struct load_conn *conn)
{
	conn->state = CONN_LOGOUT;
	conn_command(conn, "LOGOUT");
}

static enum load_op pick_op(struct load_conn *conn)
{
	unsigned total = 0, w;
	for (unsigned i = 0; i < OP_COUNT; i++)
		total += op_weights[i];
	w = (unsigned)(splitmix64(&conn->rng) % total);
	for (unsigned i = 0; i < OP_COUNT; i++) {
		if (w < op_weights[i])
			return (enum load_op)i;
		w -= op_weights[i];
	}
	return OP_NOOP;
}

static void conn_next_op(struct load_conn *conn)
{
	struct load_context *ctx = conn->ctx;
	if (ctx->stopping) {
		conn_logout(conn);
		return;
	}
	enum load_op op = pick_op(conn);
	uint64_t r = splitmix64(&conn->rng);
	if (op == OP_EXPUNGE && conn->appended_count == 0)
		op = OP_APPEND;
	if ((op == OP_FETCH_WINDOW || op == OP_FETCH_BODY || op == OP_STORE) && conn->exists == 0)
		op = OP_NOOP;
	conn->op = op;
	clock_gettime(CLOCK_MONOTONIC, &conn->op_start);
	conn->state = CONN_OP;
	unsigned n = conn->exists > 0 ? (unsigned)(r % conn->exists) + 1 : 0;
	switch (op) {
	case OP_FETCH_WINDOW: {
		unsigned w = ctx->set.window < conn->exists ? ctx->set.window : conn->exists;
		unsigned first = (unsigned)(r % (conn->exists - w + 1)) + 1;
		conn_command(conn, "FETCH %u:%u (FLAGS ENVELOPE)", first, first + w - 1);
		break;
	}
	case OP_FETCH_BODY:
		conn_command(conn, "FETCH %u BODY.PEEK[]", n);
		break;
	case OP_STORE:
		conn_command(conn, "STORE %u %cFLAGS (\\Seen)", n, (r >> 32) & 1 ? '+' : '-');
		break;
	case OP_APPEND:
		conn->state = CONN_APPEND_CONT;
		conn_command(conn, "APPEND INBOX {%u}", APPEND_SIZE);
		break;
	case OP_EXPUNGE:
		conn->pending_uid = conn->appended[--conn->appended_count];
		conn->state = CONN_EXPUNGE_STORE;
		conn_command(conn, "UID STORE %" PRIu32 " +FLAGS.SILENT (\\Deleted)",
			     conn->pending_uid);
		break;
	case OP_NOOP:
	case OP_COUNT:
		conn->op = OP_NOOP;
		conn_command(conn, "NOOP");
		break;
	}
}

/* The APPEND literal: exactly APPEND_SIZE bytes, unique per connection and
 * command. */
static void conn_send_append_body(struct load_conn *conn)
{
	char msg[APPEND_SIZE + 1];
	int len = snprintf(msg, sizeof(msg),
			   "From: Load Generator <bench@load.test>\r\n"
			   "To: <bench@bench.test>\r\n"
			   "Subject: appended by connection %u, command %u\r\n"
			   "Message-ID: <append.%" PRIu64 ".%u.%u@load.test>\r\n"
			   "Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n"
			   "MIME-Version: 1.0\r\n"
			   "Content-Type: text/plain; charset=us-ascii\r\n"
			   "\r\n",
			   conn->id, conn->tag_seq, conn->ctx->set.seed, conn->id, conn->tag_seq);
	size_t pos = (size_t)len;
	uint64_t x = conn->rng;
	while (pos < APPEND_SIZE) {
		size_t line = APPEND_SIZE - pos >= 78 ? 76 : APPEND_SIZE - pos - 2;
		for (size_t i = 0; i < line; i++)
			msg[pos++] = (char)('a' + splitmix64(&x) % 26);
		msg[pos++] = '\r';
		msg[pos++] = '\n';
	}
	struct evbuffer *out = bufferevent_get_output(conn->bev);
	evbuffer_add(out, msg, APPEND_SIZE);
	evbuffer_add(out, "\r\n", 2);
}

static void op_done(struct load_conn *conn, const char *status, const char *line)
{
	struct load_context *ctx = conn->ctx;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	struct op_stats *st = &ctx->ops[conn->op];
	if (strcmp(status, "OK") == 0) {
		stats_add(st, diff_ms(&conn->op_start, &now));
		const char *uid = strstr(line, "[APPENDUID ");
		unsigned long validity, u;
		if (conn->op == OP_APPEND && uid != NULL &&
		    sscanf(uid, "[APPENDUID %lu %lu]", &validity, &u) == 2 &&
		    conn->appended_count < MAX_APPENDED)
			conn->appended[conn->appended_count++] = (uint32_t)u;
	} else {
		char what[256];
		snprintf(what, sizeof(what), "connection %u: %s: %.200s", conn->id,
			 op_names[conn->op], line);
		note_failure(ctx, what);
		if (strcmp(status, "NO") == 0)
			st->no++;
		else
			st->bad++;
	}
}

static void load_stop_cb(evutil_socket_t fd, short what, void *context)
{
	(void)fd;
	(void)what;
	struct load_context *ctx = context;
	ctx->stopping = true;
	clock_gettime(CLOCK_MONOTONIC, &ctx->stop);
	for (unsigned i = 0; i < ctx->set.conns; i++) {
		struct load_conn *conn = &ctx->conns[i];
		if (conn->state == CONN_READY) {
			conn_logout(conn); /* idle mode; busy ones log out after their op */
		} else if (conn->state == CONN_IDLING) {
			conn->state = CONN_IDLE_DONE;
			evbuffer_add(bufferevent_get_output(conn->bev), "DONE\r\n", 6);
		}
	}
}

/* When every open connection has selected INBOX, start the timed phase. */
static void load_maybe_start(struct load_context *ctx)
{
	if (ctx->running || ctx->conns_open == 0 || ctx->conns_ready < ctx->conns_open ||
	    ctx->conns_started < ctx->set.conns)
		return;
	ctx->running = true;
	clock_gettime(CLOCK_MONOTONIC, &ctx->start);
	struct timeval tv = { .tv_sec = ctx->set.seconds, .tv_usec = 0 };
	ctx->timer = evtimer_new(ctx->base, load_stop_cb, ctx);
	evtimer_add(ctx->timer, &tv);
	if (ctx->set.idle || ctx->set.idle_cmd) {
		printf("ready %u\n", ctx->conns_ready);
		fflush(stdout);
		return;
	}
	for (unsigned i = 0; i < ctx->set.conns; i++)
		if (ctx->conns[i].state == CONN_READY)
			conn_next_op(&ctx->conns[i]);
}

static void conn_setup_failed(struct load_conn *conn, const char *line)
{
	char what[256];
	snprintf(what, sizeof(what), "connection %u: setup refused: %.200s", conn->id, line);
	note_failure(conn->ctx, what);
	conn->ctx->setup_failed++;
	conn_close(conn);
	load_maybe_start(conn->ctx);
}

/* A tagged reply for the current command. */
static void conn_tagged(struct load_conn *conn, const char *status, const char *line)
{
	struct load_context *ctx = conn->ctx;
	bool ok = strcmp(status, "OK") == 0;
	switch (conn->state) {
	case CONN_LOGIN:
		if (!ok) {
			conn_setup_failed(conn, line);
			return;
		}
		conn->state = CONN_SELECT;
		conn_command(conn, "SELECT INBOX");
		return;
	case CONN_SELECT:
		if (!ok) {
			conn_setup_failed(conn, line);
			return;
		}
		if (ctx->set.idle_cmd) {
			conn->state = CONN_IDLE_CONT;
			conn_command(conn, "IDLE");
			return;
		}
		conn->state = CONN_READY;
		ctx->conns_ready++;
		if (ctx->set.idle)
			bufferevent_set_timeouts(conn->bev, NULL, NULL);
		conn_settle(conn);
		load_maybe_start(ctx);
		return;
	case CONN_IDLE_CONT: /* refused */
	case CONN_IDLE_DONE:
		if (!ok) {
			conn_setup_failed(conn, line);
			return;
		}
		conn_logout(conn);
		return;
	case CONN_EXPUNGE_STORE:
		if (!ok) {
			op_done(conn, status, line);
			conn_next_op(conn);
			return;
		}
		conn->state = CONN_OP;
		conn_command(conn, "EXPUNGE");
		return;
	case CONN_APPEND_CONT: /* refused before the literal */
	case CONN_OP:
		op_done(conn, status, line);
		conn_next_op(conn);
		return;
	case CONN_LOGOUT:
		conn_close(conn);
		return;
	case CONN_GREETING:
	case CONN_READY:
	case CONN_IDLING:
	case CONN_DONE:
		return;
	}
}

/* One response line (not a literal's bytes, not a continuation's rest). */
static void conn_line(struct load_conn *conn, const char *line)
{
	if (conn->state == CONN_GREETING) {
		if (strncmp(line, "* OK", 4) != 0) {
			conn_setup_failed(conn, line);
			return;
		}
		conn->state = CONN_LOGIN;
		char user[256];
		snprintf(user, sizeof(user), conn->ctx->set.user_fmt, conn->id % conn->ctx->set.users);
		conn_command(conn, "LOGIN \"%s\" \"%s\"", user, conn->ctx->set.password);
		return;
	}
	if (line[0] == '+') {
		if (conn->state == CONN_APPEND_CONT) {
			conn->state = CONN_OP;
			conn_send_append_body(conn);
		} else if (conn->state == CONN_IDLE_CONT) {
			conn->state = CONN_IDLING;
			conn->ctx->conns_ready++;
			bufferevent_set_timeouts(conn->bev, NULL, NULL);
			conn_settle(conn);
			load_maybe_start(conn->ctx);
		}
		return;
	}
	if (line[0] == '*') {
		unsigned long n;
		char word[16];
		if (sscanf(line, "* %lu %15s", &n, word) == 2) {
			if (strcmp(word, "EXISTS") == 0) {
				if (conn->state == CONN_IDLING && n > conn->exists)
					conn->pushes++;
				conn->exists = (unsigned)n;
			}
			else if (strcmp(word, "EXPUNGE") == 0 && conn->exists > 0)
				conn->exists--;
		} else if (strncmp(line, "* BYE", 5) == 0 && conn->state != CONN_LOGOUT) {
			conn_fail(conn, line);
		}
		return;
	}
	size_t tag_len = strlen(conn->tag);
	if (strncmp(line, conn->tag, tag_len) != 0 || line[tag_len] != ' ')
		return; /* not ours: ignore */
	char status[8] = "";
	sscanf(line + tag_len + 1, "%7s", status);
	conn_tagged(conn, status, line);
}

/* Does the line end with a literal announcement {N} or {N+}? */
static bool line_literal(const char *line, size_t len, size_t *size_r)
{
	if (len < 3 || line[len - 1] != '}')
		return false;
	size_t i = len - 1;
	if (line[i - 1] == '+')
		i--;
	size_t end = i;
	while (i > 0 && line[i - 1] >= '0' && line[i - 1] <= '9')
		i--;
	if (i == 0 || i == end || line[i - 1] != '{')
		return false;
	*size_r = strtoull(line + i, NULL, 10);
	return true;
}

static void conn_read_cb(struct bufferevent *bev, void *context)
{
	struct load_conn *conn = context;
	struct evbuffer *in = bufferevent_get_input(bev);
	while (conn->state != CONN_DONE) {
		if (conn->literal_left > 0) {
			size_t have = evbuffer_get_length(in);
			size_t n = have < conn->literal_left ? have : conn->literal_left;
			evbuffer_drain(in, n);
			conn->literal_left -= n;
			if (conn->literal_left > 0)
				return;
		}
		size_t len;
		char *line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF);
		if (line == NULL)
			return;
		bool continued = conn->continuation;
		size_t lit;
		conn->continuation = line_literal(line, len, &lit);
		if (conn->continuation) {
			if (lit > MAX_LITERAL) {
				free(line);
				conn_fail(conn, "literal too large in a reply");
				return;
			}
			conn->literal_left = lit;
		}
		if (!continued)
			conn_line(conn, line);
		free(line);
	}
}

static void conn_event_cb(struct bufferevent *bev, short events, void *context)
{
	(void)bev;
	struct load_conn *conn = context;
	if (events & BEV_EVENT_CONNECTED) {
		int one = 1;
		setsockopt(bufferevent_getfd(conn->bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		return;
	}
	if (conn->state == CONN_LOGOUT && (events & BEV_EVENT_EOF)) {
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

/* Begin connections until R are being set up or all N have begun. */
static void load_connect_more(struct load_context *ctx)
{
	const struct load_settings *set = &ctx->set;
	struct timeval reply_tv = { .tv_sec = set->reply_timeout_s, .tv_usec = 0 };
	while (ctx->conns_started < set->conns && ctx->settling < set->ramp) {
		unsigned i = ctx->conns_started++;
		struct load_conn *conn = &ctx->conns[i];
		conn->ctx = ctx;
		conn->id = i;
		conn->rng = set->seed * 1000003ULL + i;
		conn->bev = bufferevent_socket_new(ctx->base, -1, BEV_OPT_CLOSE_ON_FREE);
		bufferevent_setcb(conn->bev, conn_read_cb, NULL, conn_event_cb, conn);
		bufferevent_set_timeouts(conn->bev, &reply_tv, NULL);
		bufferevent_enable(conn->bev, EV_READ | EV_WRITE);
		ctx->conns_open++;
		ctx->settling++;
		if (bufferevent_socket_connect(conn->bev, (struct sockaddr *)&ctx->addr,
					       sizeof(ctx->addr)) < 0)
			conn_fail(conn, "connect failed");
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double percentile(const double *sorted, size_t n, double p)
{
	if (n == 0)
		return 0;
	double rank = p / 100.0 * (double)(n - 1);
	size_t lo = (size_t)rank;
	size_t hi = lo + 1 < n ? lo + 1 : lo;
	return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - (double)lo);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: imap-load -p PORT [-h HOST] [-c CONNS] [-T SECONDS] [-u USERS]\n"
		"                 [-f USER_FORMAT] [-P PASSWORD] [-S SEED] [-w WINDOW]\n"
		"                 [-r SECONDS] [-R CONNS] [-I | -D] [-v]\n"
		"  -T  length of the timed phase (idle mode: how long to hold), default 10\n"
		"  -f  login name printf format with one %%u, default user%%04u@bench.test\n"
		"  -w  messages per FETCH window, default 20\n"
		"  -r  a connection waits this long for a reply (default 60)\n"
		"  -R  connections being set up at once, default 200\n"
		"  -I  idle mode: log in, select, print \"ready N\", hold T seconds\n"
		"  -D  IDLE mode: as -I, and IDLE; count the EXISTS pushed meanwhile\n");
	exit(2);
}

static void print_idle_results(struct load_context *ctx)
{
	unsigned pushes = 0, pushed = 0;
	for (unsigned i = 0; i < ctx->set.conns; i++) {
		pushes += ctx->conns[i].pushes;
		pushed += ctx->conns[i].pushes > 0;
	}
	printf("idle conns=%u idling=%u pushes=%u conns_pushed=%u disconnects=%u "
	       "setup_failed=%u\n",
	       ctx->set.conns, ctx->running ? ctx->conns_ready : 0, pushes, pushed,
	       ctx->disconnects, ctx->setup_failed);
}

static void print_results(struct load_context *ctx)
{
	double secs = ctx->running ? diff_ms(&ctx->start, &ctx->stop) / 1000.0 : 0;
	size_t total = 0;
	unsigned no = 0, bad = 0;
	for (unsigned i = 0; i < OP_COUNT; i++) {
		total += ctx->ops[i].count;
		no += ctx->ops[i].no;
		bad += ctx->ops[i].bad;
	}
	printf("clients=%u seconds=%.2f ops=%zu ops_per_s=%.1f no=%u bad=%u disconnects=%u "
	       "setup_failed=%u\n",
	       ctx->set.conns, secs, total, secs > 0 ? (double)total / secs : 0, no, bad,
	       ctx->disconnects, ctx->setup_failed);
	for (unsigned i = 0; i < OP_COUNT; i++) {
		struct op_stats *st = &ctx->ops[i];
		qsort(st->latency_ms, st->count, sizeof(double), cmp_double);
		printf("op=%s n=%zu ops_per_s=%.1f p50_ms=%.2f p99_ms=%.2f no=%u bad=%u\n",
		       op_names[i], st->count, secs > 0 ? (double)st->count / secs : 0,
		       percentile(st->latency_ms, st->count, 50),
		       percentile(st->latency_ms, st->count, 99), st->no, st->bad);
	}
}

int main(int argc, char **argv)
{
	static struct load_context ctx;
	struct load_settings *set = &ctx.set;
	set->host = "127.0.0.1";
	set->conns = 10;
	set->seconds = 10;
	set->users = 1;
	set->user_fmt = "user%04u@bench.test";
	set->password = "bench";
	set->seed = 2033;
	set->window = 20;
	set->reply_timeout_s = 60;
	set->ramp = 200;
	int opt;
	while ((opt = getopt(argc, argv, "h:p:c:T:u:f:P:S:w:r:R:IDv")) != -1) {
		switch (opt) {
		case 'h': set->host = optarg; break;
		case 'p': set->port = atoi(optarg); break;
		case 'c': set->conns = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'T': set->seconds = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'u': set->users = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'f': set->user_fmt = optarg; break;
		case 'P': set->password = optarg; break;
		case 'S': set->seed = strtoull(optarg, NULL, 10); break;
		case 'w': set->window = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'r': set->reply_timeout_s = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'I': set->idle = true; break;
		case 'D': set->idle_cmd = true; break;
		case 'R': set->ramp = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'v': set->verbose = true; break;
		default: usage();
		}
	}
	if (optind != argc || set->port <= 0 || set->port > 65535 || set->conns == 0 ||
	    set->conns > MAX_CONNS || set->users == 0 || set->window == 0 || set->seconds == 0 ||
	    set->ramp == 0 || (set->idle && set->idle_cmd) ||
	    strchr(set->password, '"') != NULL || strchr(set->password, '\\') != NULL)
		usage();

	ctx.addr = (struct sockaddr_in){ .sin_family = AF_INET,
					 .sin_port = htons((uint16_t)set->port) };
	if (inet_pton(AF_INET, set->host, &ctx.addr.sin_addr) != 1) {
		fprintf(stderr, "imap-load: bad IPv4 address '%s'\n", set->host);
		return 2;
	}
	ctx.base = event_base_new();
	ctx.conns = calloc(set->conns, sizeof(*ctx.conns));
	if (ctx.base == NULL || ctx.conns == NULL) {
		fprintf(stderr, "imap-load: out of memory\n");
		return 2;
	}
	load_connect_more(&ctx);
	if (ctx.conns_open > 0)
		event_base_dispatch(ctx.base);
	if (ctx.running && !ctx.stopping)
		clock_gettime(CLOCK_MONOTONIC, &ctx.stop);
	if (ctx.set.idle_cmd)
		print_idle_results(&ctx);
	else if (!ctx.set.idle)
		print_results(&ctx);
	if (ctx.first_failure[0] != '\0')
		fprintf(stderr, "imap-load: first failure: %s\n", ctx.first_failure);

	bool failed = ctx.disconnects > 0 || ctx.setup_failed > 0 || !ctx.running;
	for (unsigned i = 0; i < OP_COUNT; i++) {
		failed = failed || ctx.ops[i].no > 0 || ctx.ops[i].bad > 0;
		free(ctx.ops[i].latency_ms);
	}
	for (unsigned i = 0; i < set->conns; i++)
		if (ctx.conns[i].bev != NULL)
			bufferevent_free(ctx.conns[i].bev);
	if (ctx.timer != NULL)
		event_free(ctx.timer);
	free(ctx.conns);
	event_base_free(ctx.base);
	return failed ? 1 : 0;
}
