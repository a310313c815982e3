/* sieve.h - the Sieve mail filtering language (RFC 5228) as tandem runs it:
 * compile a script once (syntax, require, arguments checked; errors carry a
 * line number), then execute it on a message as often as wanted.
 *
 * Extensions: fileinto, mailbox (fileinto :create), reject and ereject
 * (RFC 5429), envelope, subaddress (RFC 5233), relational (RFC 5231) with
 * comparator-i;ascii-numeric, imap4flags (RFC 5232), body (RFC 5173),
 * regex (draft-ietf-sieve-regex), vacation (RFC 5230), copy (RFC 3894),
 * encoded-character (RFC 5228 2.4.2.4).
 *
 * Pure: no I/O, no storage, no global mutable state. A compiled script is
 * immutable and may be executed by several threads at once. Execution is
 * bounded (no loops in the language; nesting, string and list sizes capped
 * at compile time; regex inputs capped; at most 64 actions and 4 redirects
 * per result; the bytes compared per execute capped, beyond which execute
 * fails). The process must have called g_mime_init() (mime_init()) first:
 * header decoding, addresses and the body test use GMime.
 * Not supported: the variables extension (so no variable names in
 * imap4flags), :matches/:regex match variables; :regex is POSIX extended
 * in the C locale (byte-wise), its input cut at 64 KB.
 *
 * Deciding what is delivered where is the caller's job (lmtp-sieve.c): this
 * module only turns (script, message) into a list of actions.
 */
#ifndef TANDEM_SIEVE_H
#define TANDEM_SIEVE_H

#include <stdbool.h>
#include <stddef.h>

#define SIEVE_ERROR_MAX 256
#define SIEVE_SCRIPT_MAX (1024 * 1024) /* bytes of script text compile accepts */

struct sieve_script;

/* The extensions as ManageSieve's SIEVE capability lists them,
 * space-separated (static string). */
const char *sieve_extensions(void);

/* Compile text (UTF-8, CRLF or LF line ends). 0 and *script_r set, or -1
 * and error = "line N: what is wrong" (the script is refused). */
int sieve_compile(const char *text, size_t len, struct sieve_script **script_r,
		  char error[SIEVE_ERROR_MAX]);
void sieve_script_free(struct sieve_script **script);

/* The message a script looks at. Everything is borrowed for the duration of
 * sieve_execute. */
struct sieve_message {
	const unsigned char *data;      /* the whole raw message (header + body) */
	size_t size;
	const char *envelope_from;      /* MAIL FROM, "" for the null sender */
	const char *envelope_to;        /* the RCPT TO address as given, +detail kept */
	/* the user's own addresses (primary first, then aliases), NULL-ended:
	 * vacation never answers them and needs one of them (or its :addresses)
	 * in To/Cc/Bcc/Resent-To/Resent-Cc to answer at all */
	const char *const *own_addresses;
};

enum sieve_action_kind {
	SIEVE_ACTION_KEEP,      /* store in INBOX (explicit keep or implicit keep) */
	SIEVE_ACTION_FILEINTO,  /* store in mailbox */
	SIEVE_ACTION_REDIRECT,  /* send on to address */
	SIEVE_ACTION_REJECT,    /* refuse with reason (reject and ereject) */
	SIEVE_ACTION_VACATION,  /* send an auto-reply (subject to the caller's :days check) */
};

struct sieve_action {
	enum sieve_action_kind kind;
	/* KEEP, FILEINTO: IMAP flags and keywords to set (imap4flags: the
	 * internal variable at the time of the action, or :flags), NULL-ended,
	 * each an IMAP flag atom like "\\Seen" or "$Label1" */
	char **flags;
	/* FILEINTO: mailbox name as written (UTF-8, never empty; fileinto
	 * "INBOX" in any case becomes KEEP); create: :create given */
	char *mailbox;
	bool create;
	/* REDIRECT: the target address (plain local@domain, checked at compile) */
	char *address;
	/* REJECT: the reason text; ereject: ereject (not reject) was used */
	char *reason;
	bool ereject;
	/* VACATION: the reply to send. The interpreter has already applied the
	 * RFC 5230 rules that need only the message (no reply to the null
	 * sender, to own addresses, to lists (List-Id and friends), bulk/junk
	 * Precedence, Auto-Submitted other than "no", MAILER-DAEMON, LISTSERV,
	 * majordomo, owner-* and *-request senders, the user's own addresses
	 * or :addresses as sender (case-insensitive, +detail ignored); one of
	 * own_addresses or :addresses in To/Cc/Bcc/Resent-To/Resent-Cc). When
	 * a rule says no, vacation adds no action at all. reject/ereject
	 * together with vacation is a runtime error. The caller applies :days
	 * per (user, to, handle). */
	char *vacation_to;       /* whom to answer: the envelope sender */
	char *vacation_from;     /* :from, or NULL (the caller uses the user's address) */
	char *vacation_subject;  /* :subject, or "Auto: " + the original Subject */
	char *vacation_body;     /* the reason (a MIME entity when vacation_mime); a
				  * text: reason has CRLF line ends */
	bool vacation_mime;
	char *vacation_handle;   /* :handle, or SHA-256 hex of :subject/:from/reason/:mime */
	unsigned vacation_days;  /* :days, clamped to 1..365; default 7 */
	char *in_reply_to;       /* the original Message-ID, or NULL */
};

/* The outcome of one or more scripts run in turn on one message. */
struct sieve_result {
	struct sieve_action *actions;
	size_t count;
	bool implicit_keep;      /* still on: no fileinto/redirect/reject/discard cancelled it */
	bool stopped;            /* "stop" ran: later scripts must not run */
	char error[SIEVE_ERROR_MAX]; /* the runtime error when sieve_execute failed */
	/* private to the interpreter (sieve-result.c, sieve-run.c): */
	size_t cap;              /* room in actions */
	char **flags_var;        /* imap4flags internal variable of the current script */
	size_t flags_var_count;
	unsigned redirects;      /* redirect actions so far */
	bool rejected;           /* reject or ereject ran */
	bool delivered;          /* keep, fileinto or redirect ran */
	bool responded;          /* vacation ran (reject may not follow) */
};

void sieve_result_init(struct sieve_result *result);
/* Run script on msg, appending its actions to result (several scripts,
 * e.g. the administrator's then the user's, share one result; duplicate
 * fileinto/redirect/keep merge). 0 on success; -1 on a runtime error
 * (result->error says what; the caller must then ignore every action and
 * keep the message in INBOX). */
int sieve_execute(const struct sieve_script *script, const struct sieve_message *msg,
		  struct sieve_result *result);
/* After the last script: when implicit keep is still on, append the KEEP
 * action (with the imap4flags internal variable's flags). */
void sieve_result_finish(struct sieve_result *result);
void sieve_result_free(struct sieve_result *result);

#endif
