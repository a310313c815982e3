/* cmd-enable.c - ENABLE (RFC 5161): the client turns on extensions that
 * change how the server talks to it. Only in the authenticated state (the
 * command table keeps it there: not before login, not with a mailbox
 * selected). The extensions that can be enabled are the rows of
 * imap_enable_table below: an extension adds its row (name and the
 * function that turns it on for the session). Unknown names are ignored,
 * as the RFC says; "* ENABLED" lists only what was turned on by this
 * command. Never enables anything not in the table.
 */
#include "imap-commands.h"

#include <strings.h>

/* Most names one ENABLE may carry. */
#define IMAP_ENABLE_NAMES_MAX 32

/* Turn the extension on for the session; false if it cannot be (it is then
 * not listed in * ENABLED). Called at most once per name per command. */
typedef bool imap_enable_fn(struct imap_session *session);

struct imap_enable_def {
	const char *name;       /* capability name, as the client sends it */
	imap_enable_fn *enable; /* NULL: the end of the table */
};

static bool imap_enable_condstore(struct imap_session *session)
{
	imap_view_condstore_enable(session, false);
	return true;
}

/* QRESYNC implies CONDSTORE (RFC 7162 3.2.3). */
static bool imap_enable_qresync(struct imap_session *session)
{
	imap_view_condstore_enable(session, false);
	session->qresync = true;
	return true;
}

/* IMAP4rev2 (RFC 9051): from now on this session gets rev2 behaviour
 * (session->rev2: no RECENT and no \Recent, ESEARCH for SEARCH, UTF-8
 * mailbox names, LIST in SELECT, [CLOSED], \NonExistent). */
static bool imap_enable_rev2(struct imap_session *session)
{
	session->rev2 = true;
	return true;
}

/* Add a row per extension when it is complete; keep the sentinel last. */
static const struct imap_enable_def imap_enable_table[] = {
	{ "CONDSTORE", imap_enable_condstore },
	{ "QRESYNC", imap_enable_qresync },
	{ "IMAP4rev2", imap_enable_rev2 },
	{ NULL, NULL },
};

static const struct imap_enable_def *imap_enable_find(const char *name)
{
	for (const struct imap_enable_def *def = imap_enable_table; def->name != NULL; def++) {
		if (strcasecmp(def->name, name) == 0)
			return def;
	}
	return NULL;
}

void imap_cmd_enable(struct imap_client_cmd *cmd)
{
	if (cmd->arg_count == 0) {
		imap_cmd_bad(cmd, "ENABLE needs at least one capability name");
		return;
	}
	if (cmd->arg_count > IMAP_ENABLE_NAMES_MAX) {
		imap_cmd_bad(cmd, "ENABLE has too many names");
		return;
	}
	for (size_t i = 0; i < cmd->arg_count; i++) {
		if (cmd->args[i].type != IMAP_ARG_ATOM) {
			imap_cmd_bad(cmd, "ENABLE takes capability names (atoms)");
			return;
		}
	}
	struct buf line;
	buf_init(&line);
	buf_append_str(&line, "* ENABLED");
	for (size_t i = 0; i < cmd->arg_count; i++) {
		const struct imap_enable_def *def = imap_enable_find(cmd->args[i].str);
		bool repeated = false;
		for (size_t k = 0; k < i && def != NULL; k++)
			repeated = repeated || imap_enable_find(cmd->args[k].str) == def;
		if (def == NULL || repeated || !def->enable(cmd->session))
			continue;
		buf_printf(&line, " %s", def->name);
	}
	imap_reply(cmd->session, "%s", (const char *)line.data);
	buf_free(&line);
	imap_cmd_ok(cmd, "ENABLE completed");
}
