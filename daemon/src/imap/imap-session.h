/* imap-session.h - internal to src/imap: the session, its state machine,
 * the selected mailbox's view, and what the command files share.
 *
 * A session lives on one worker thread; it is freed when its connection is
 * gone (no work outlives the connection: every command runs to completion
 * on the worker's own storage connection before the next is read; a FETCH
 * whose client reads slowly parks itself in session->resume and is run on
 * from the input loop, still before the next command).
 */
#ifndef TANDEM_IMAP_SESSION_H
#define TANDEM_IMAP_SESSION_H

#include "buf.h"
#include "imap.h"
#include "imap-parser.h"
#include "sasl-exchange.h"
#include "session-id.h"
#include "storage.h"

#include <stdbool.h>
#include <time.h>

struct conn_deflate;
struct event;
struct evbuffer;
struct mailbox_watch;
struct net_conn;
struct net_worker;

enum imap_state {
	IMAP_STATE_NOT_AUTHENTICATED = 0,
	IMAP_STATE_AUTHENTICATED,
	IMAP_STATE_SELECTED,
	IMAP_STATE_LOGOUT,
	IMAP_STATE_COUNT
};

struct auth_service;

struct imap_service {
	struct imap_settings set;
	char *hostname;
	struct net_service *net;
	struct auth_service *auth;
};

/* The selected mailbox's view is a struct of arrays in the session (see
 * imap-view.c): per message only its uid (uids[k]) and one byte of flags
 * (flags[k]: the STORAGE_FLAG_* system flags, IMAP_VIEW_RECENT and
 * IMAP_VIEW_KEYWORDS), so an idle session costs 5 bytes per message.
 * Keywords live in a side table (uid order) for the messages that have
 * some; internal date, size and modseq are not kept: commands read them
 * from the storage (imap_view_attrs_load). Read the view only through
 * the accessors below. */
#define IMAP_VIEW_SYSTEM_FLAGS 0x1f /* STORAGE_FLAG_* */
#define IMAP_VIEW_RECENT       0x20 /* \Recent in this session (RFC 3501 2.3.2) */
#define IMAP_VIEW_KEYWORDS     0x40 /* has an entry in the keyword table */

struct imap_view_keywords {
	uint32_t uid;
	char *keywords;            /* space-separated, never "" */
};

/* A change this session made itself (STORE, FETCH setting \Seen) and
 * already told its client: the next sync does not report it again. */
struct imap_view_own_change {
	uint32_t uid;
	int64_t modseq;
};

struct imap_session;
struct imap_client_cmd;
/* A command that produces its output in pieces (FETCH) and stops while
 * the client's output is full: run goes on from where it stopped and
 * returns true once the command is over (tagged reply sent, or the
 * connection gone); free drops its state (also when the session ends
 * first). The state holds all the command needs: the parsed command is
 * freed when its handler returns. */
struct imap_cmd_resume {
	bool (*run)(struct imap_session *session, void *state);
	void (*free)(void *state);
	void *state;
};

/* A line the client sends in answer to "+ ..." (AUTHENTICATE). */
typedef void imap_continuation_fn(struct imap_session *session, const char *line, size_t len);

struct imap_session {
	struct imap_service *service;
	struct net_conn *conn;     /* NULL once the connection is gone */
	struct net_worker *worker;
	char sid[SESSION_ID_SIZE];
	unsigned refs;             /* connection + input loop */
	enum imap_state state;
	unsigned errors;           /* BAD replies */
	unsigned preauth_commands;
	unsigned auth_failures;
	bool in_input;
	bool auth_pending;         /* LOGIN/AUTHENTICATE being checked: read no further */
	bool plaintext_ok;         /* TLS, loopback peer or allow_plaintext_auth */
	struct event *timer;       /* pre-auth deadline, then idle timeout */
	time_t last_input;

	/* the command being read: lines and literals */
	struct buf cmd;
	size_t cmd_text;           /* bytes of line text (not literals) so far */
	unsigned literals;
	uint64_t literal_left;     /* > 0: reading a literal's bytes */
	bool skipping_line;        /* discarding the rest of an overlong line */
	unsigned char skip_tail[24]; /* the end of the line being skipped */
	size_t skip_tail_len;

	/* AUTHENTICATE waiting for a client line */
	imap_continuation_fn *continuation;
	char cont_tag[IMAP_TAG_MAX + 1];
	struct sasl_exchange sasl;

	/* ENABLE / implied (RFC 7162): MODSEQ in FETCH responses,
	 * HIGHESTMODSEQ at SELECT; qresync: VANISHED instead of EXPUNGE */
	bool condstore;
	bool qresync;
	/* ENABLE IMAP4rev2 (RFC 9051): rev2 behaviour for this session */
	bool rev2;

	/* AUTHENTICATED */
	int64_t user_id;
	char user[STORAGE_ADDRESS_MAX + 1];

	/* SELECTED */
	struct storage_mailbox mailbox;
	bool readonly;
	uint32_t rights;           /* STORAGE_ACL_* of the user on it (all when their own;
				      imap-mailbox-access.c keeps it current) */
	uint32_t *view_uids;       /* ascending; index + 1 = sequence number */
	uint8_t *view_flags;       /* STORAGE_FLAG_* | IMAP_VIEW_RECENT | IMAP_VIEW_KEYWORDS */
	size_t mail_count, mail_cap;
	struct imap_view_keywords *view_kw; /* by ascending uid */
	size_t view_kw_count, view_kw_cap;
	struct imap_view_own_change *view_own; /* until the next sync */
	size_t view_own_count, view_own_cap;
	struct mailbox_watch *watch; /* told when another session or LMTP changes it */
	bool changed;              /* told so since the last sync */
	bool expunge_pending;      /* a sync held back expunges (during FETCH etc.) */
	/* SEARCHRES (RFC 5182): "$", the saved result as UIDs (ascending) */
	uint32_t *searchres;
	size_t searchres_count;

	/* COMPRESS=DEFLATE (RFC 4978): both directions compressed once set;
	 * plain_in holds the inflated input the command reader works on */
	struct conn_deflate *deflate;
	struct evbuffer *plain_in;
	/* output written outside commands (pushed updates) while the client
	 * was not reading: the queue is at most NET_CONN_OUTPUT_MAX + this */
	uint64_t output_over;
	bool output_overflow;      /* over imap_max_output_buffer: closing */

	/* a command waiting until the client has read its output (FETCH):
	 * the input loop runs it on before it reads another command */
	struct imap_cmd_resume resume;

	/* IDLE (RFC 2177): between "+ idling" and DONE */
	bool idling;
	char idle_tag[IMAP_TAG_MAX + 1];
};

/* A parsed command as the handlers see it. */
struct imap_client_cmd {
	struct imap_session *session;
	const char *tag;
	const char *name;          /* "FETCH" (also under UID) */
	bool uid;                  /* came as UID <name> */
	const struct imap_arg *args;
	size_t arg_count;
};

/* imap-session.c */
void imap_enter_state(struct imap_session *session, enum imap_state state);
const char *imap_state_name(enum imap_state state);
/* One line (CRLF added); nothing when the client is gone. */
void imap_reply(struct imap_session *session, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Raw bytes (literals, long FETCH responses). */
void imap_write(struct imap_session *session, const void *data, size_t len);
/* Tagged replies: "<tag> OK|NO|BAD text". BAD counts towards IMAP_ERRORS_MAX. */
void imap_cmd_ok(struct imap_client_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void imap_cmd_no(struct imap_client_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void imap_cmd_bad(struct imap_client_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* COMPRESS DEFLATE: from now on both directions are compressed (call
 * right after the tagged OK, which goes out uncompressed). */
void imap_session_compress_start(struct imap_session *session);
/* Is more output queued than NET_CONN_OUTPUT_MAX (the client is behind)?
 * The input loop is called again once the client has read it. */
bool imap_output_full(struct imap_session *session);
/* The command being run is not over: park it (see struct imap_cmd_resume);
 * the handler returns without a tagged reply. */
void imap_session_suspend(struct imap_session *session, const struct imap_cmd_resume *resume);
/* Close after the replies are out (reason for the log). */
void imap_session_close(struct imap_session *session, const char *reason);
/* "* BYE reason" then close. */
void imap_session_bye(struct imap_session *session, const char *reason, const char *log_reason);
/* The worker's storage connection. */
struct storage_conn *imap_storage(struct imap_session *session);
/* Successful login: remember the user, re-arm the timer, log. */
void imap_session_login(struct imap_session *session, const struct storage_user *user,
			const char *mech);
/* A reference for work that finishes later (an auth check), and its
 * release; resume reads the commands the client sent meanwhile. */
void imap_session_hold(struct imap_session *session);
void imap_session_release(struct imap_session *session);
void imap_session_resume(struct imap_session *session);
/* Forget the selected mailbox (back to AUTHENTICATED). */
void imap_session_unselect(struct imap_session *session);
/* The capability list for the current state (without "CAPABILITY"). */
const char *imap_capabilities(struct imap_session *session);
void imap_session_hooks(struct net_service *net);

/* imap-view.c: start watching the selected mailbox for changes by others
 * (at SELECT/EXAMINE); imap_session_unselect() stops it. */
void imap_view_watch(struct imap_session *session);
/* A command of this session committed a change to mailbox_id: tell every
 * other session watching it (this one updates its view itself). */
void imap_view_changed(struct imap_session *session, int64_t mailbox_id);
/* Before a tagged OK/NO: send the pending untagged updates of the selected
 * mailbox, if any, without EXPUNGE when cmd is FETCH, STORE or SEARCH
 * (non-UID; RFC 3501 7.4.1). */
void imap_view_command_done(struct imap_client_cmd *cmd);
/* Like imap_view_sync(); allow_expunge false keeps messages expunged by
 * others in the view (reported later) while FETCH/STORE/SEARCH run. */
enum storage_result imap_view_sync_mode(struct imap_session *session, bool allow_expunge,
					const char **error_r);

/* Messages of the view with \Recent (for "* n RECENT"). */
size_t imap_view_recent_count(struct imap_session *session);

/* imap-searchres.c: SEARCHRES (RFC 5182). Save the messages at indexes
 * (ascending) of the view as "$"; forget it (imap_view_free() does). */
void imap_searchres_save(struct imap_session *session, const size_t *indexes, size_t count);
void imap_searchres_clear(struct imap_session *session);
/* Is arg the "$" marker? */
bool imap_arg_is_searchres(const struct imap_arg *arg);
/* Like imap_cmd_seqset() (imap-commands.h), and "$" gives the saved
 * messages still in the view (none: an empty, valid set). */
int imap_cmd_msgset(struct imap_client_cmd *cmd, const struct imap_arg *arg, bool by_uid,
		    size_t **indexes_r, size_t *count_r);

/* cmd-idle.c: a line read while idling (DONE or not). */
void imap_idle_line(struct imap_session *session, const char *line, size_t len);

/* imap-commands.c: run one parsed command. */
void imap_command_run(struct imap_session *session, struct imap_command *cmd);

/* imap-strings.c: the wire name of arg (modified UTF-7) as a storage
 * name; "INBOX" in any case becomes INBOX. -1 after replying BAD. */
int imap_arg_mailbox(struct imap_client_cmd *cmd, const struct imap_arg *arg, struct buf *name_r);
/* imap-mailbox-name.c: the same as this session speaks names: modified
 * UTF-7 (IMAP4rev1) or, after ENABLE IMAP4rev2, UTF-8 as it is (RFC 9051). */
int imap_session_arg_mailbox(struct imap_client_cmd *cmd, const struct imap_arg *arg,
			     struct buf *name_r);
void imap_session_append_mailbox(struct imap_session *session, struct buf *out,
				 const char *name);
/* Is text (len bytes) valid UTF-8 (no overlong forms, no surrogates)? */
bool imap_utf8_valid(const char *text, size_t len);
/* Append name (storage UTF-8) as an IMAP string in modified UTF-7. */
void imap_append_mailbox(struct buf *out, const char *name);
/* Append s as a quoted string or, when it needs it, a literal. */
void imap_append_string(struct buf *out, const char *s, size_t len);
/* imap-view.c: reply to a storage failure: NO [UNAVAILABLE] for TEMP,
 * etc.; logs. */
void imap_cmd_storage_error(struct imap_client_cmd *cmd, enum storage_result result,
			    const char *error);
/* Fetch the selected mailbox's messages into the view. */
enum storage_result imap_view_load(struct imap_session *session, const char **error_r);
void imap_view_free(struct imap_session *session);
/* The view's k-th message (k < mail_count): its uid, system flags
 * (STORAGE_FLAG_*), \Recent, keywords ("" if none). */
static inline uint32_t imap_view_uid(const struct imap_session *session, size_t k)
{
	return session->view_uids[k];
}
static inline uint32_t imap_view_flags(const struct imap_session *session, size_t k)
{
	return session->view_flags[k] & IMAP_VIEW_SYSTEM_FLAGS;
}
static inline bool imap_view_recent(const struct imap_session *session, size_t k)
{
	return (session->view_flags[k] & IMAP_VIEW_RECENT) != 0;
}
/* The last uid of the view, 0 when it is empty. */
static inline uint32_t imap_view_last_uid(const struct imap_session *session)
{
	return session->mail_count > 0 ? session->view_uids[session->mail_count - 1] : 0;
}
const char *imap_view_keywords(const struct imap_session *session, size_t k);
/* Add a message after the view's last one (false when its uid is not
 * above the last uid: nothing added). \Recent is decided separately. */
bool imap_view_append(struct imap_session *session, const struct storage_mail *mail);
/* Set the k-th message's system flags and keywords (NULL or "" for none). */
void imap_view_set_flags(struct imap_session *session, size_t k, uint32_t flags,
			 const char *keywords);
/* A change of uid to modseq this session made and told its client
 * (flags set with imap_view_set_flags): the next sync skips it. */
void imap_view_own_change(struct imap_session *session, uint32_t uid, int64_t modseq);

/* Internal date, size and modseq of view messages, read from the storage
 * in one query for a command that needs them; never kept in the view. */
struct imap_view_attrs {
	struct storage_mail_attrs *rows; /* ascending uid */
	size_t count, cap;
};
/* Load those of the messages at indexes (NULL: the whole view); rows of
 * other messages in the same uid range may come too. */
enum storage_result imap_view_attrs_load(struct imap_session *session, const size_t *indexes,
					 size_t count, struct imap_view_attrs *attrs_r,
					 const char **error_r);
/* uid's row, NULL when the storage did not have it (expunged meanwhile). */
const struct storage_mail_attrs *imap_view_attrs_find(const struct imap_view_attrs *attrs,
						      uint32_t uid);
/* Set uid's modseq (after this command changed it). */
void imap_view_attrs_set_modseq(struct imap_view_attrs *attrs, uint32_t uid, int64_t modseq);
void imap_view_attrs_free(struct imap_view_attrs *attrs);
/* Bring the view up to date with the storage (changes by other sessions):
 * "* n EXPUNGE", "* n FETCH (FLAGS ...)", "* n EXISTS" as needed. */
enum storage_result imap_view_sync(struct imap_session *session, const char **error_r);
/* Drop the messages with these uids (ascending) from the view, highest
 * sequence number first, with "* n EXPUNGE" for each unless silent. */
void imap_view_expunged(struct imap_session *session, const uint32_t *uids, size_t count,
			bool silent);
/* CONDSTORE (RFC 7162 3.1): turn it on for the session (ENABLE or a
 * command that implies it); with_highestmodseq, when a mailbox is
 * selected, also send "* OK [HIGHESTMODSEQ n]" as the RFC asks. */
void imap_view_condstore_enable(struct imap_session *session, bool with_highestmodseq);
/* The view index of uid, or mail_count when it is not in the view. */
size_t imap_view_index(struct imap_session *session, uint32_t uid);
/* Append uids (ascending) as a compact uid set "1:3,7" to out. */
void imap_append_uid_set(struct buf *out, const uint32_t *uids, size_t count);
/* imap-view.c: a view message's flags for FETCH FLAGS (no parens): its
 * system flags and keywords, and \Recent when it is recent in this
 * session (never for IMAP4rev2: RFC 9051 has no \Recent). */
void imap_append_view_flags(struct imap_session *session, struct buf *out, size_t k);
/* STATUS RECENT: the messages of mailbox_id that are \Recent (this
 * session's view when it is the selected mailbox; else those no session
 * has claimed yet). */
enum storage_result imap_view_status_recent(struct imap_session *session, int64_t mailbox_id,
					    int64_t *count_r, const char **error_r);
/* System flags and keywords as "\Seen \Deleted kw" (no parens). */
void imap_append_flags(struct buf *out, uint32_t flags, const char *keywords);

#endif
