/* ctl-password.c - read a new password for `user add` / `user passwd`:
 * one line from stdin when it is not a terminal (scripts), else prompted
 * twice on the terminal with echo off.
 *
 * A password never comes from argv (other users see it in ps), is never
 * printed, and every copy is wiped before it is freed. The terminal's echo
 * is restored before returning.
 */
#include "ctl.h"
#include "password.h"
#include "xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* A line buffer with room for the longest password, its line end and one
 * more byte to tell "too long" apart. */
#define CTL_PASSWORD_LINE_MAX (PASSWORD_PLAIN_MAX + 3)

enum ctl_line_result { CTL_LINE_OK, CTL_LINE_EOF, CTL_LINE_TOO_LONG, CTL_LINE_NUL, CTL_LINE_ERROR };

/* Read one line from fd byte by byte (so nothing after it is consumed),
 * without its "\n" or "\r\n". */
static enum ctl_line_result ctl_read_line(int fd, char *line, size_t size)
{
	size_t len = 0;
	bool any = false, nul = false;
	for (;;) {
		char c;
		ssize_t n = read(fd, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return CTL_LINE_ERROR;
		if (n == 0)
			break;
		any = true;
		if (c == '\n')
			break;
		if (len + 1 >= size) {
			/* drain the rest of the line so it is not read as a command */
			while ((n = read(fd, &c, 1)) > 0 && c != '\n')
				;
			explicit_bzero(line, size);
			return CTL_LINE_TOO_LONG;
		}
		if (c == '\0')
			nul = true;
		line[len++] = c;
	}
	if (len > 0 && line[len - 1] == '\r')
		len--;
	line[len] = '\0';
	if (nul) {
		explicit_bzero(line, size);
		return CTL_LINE_NUL;
	}
	return any ? CTL_LINE_OK : CTL_LINE_EOF;
}

static int ctl_password_check(struct ctl_context *ctx, enum ctl_line_result res, const char *line)
{
	switch (res) {
	case CTL_LINE_OK:
		break;
	case CTL_LINE_EOF:
		return CTL_EXIT_OK;
	case CTL_LINE_TOO_LONG:
		return ctl_fail(ctx, "password too long (at most %d bytes)", PASSWORD_PLAIN_MAX);
	case CTL_LINE_NUL:
		return ctl_fail(ctx, "the password contains a NUL byte");
	case CTL_LINE_ERROR:
		return ctl_fail(ctx, "cannot read the password: %s", strerror(errno));
	}
	if (line[0] == '\0')
		return ctl_fail(ctx, "empty password");
	if (strlen(line) > PASSWORD_PLAIN_MAX)
		return ctl_fail(ctx, "password too long (at most %d bytes)", PASSWORD_PLAIN_MAX);
	return CTL_EXIT_OK;
}

/* Prompt on stderr and read a line from the terminal on stdin, echo off. */
static enum ctl_line_result ctl_prompt(struct ctl_context *ctx, const char *prompt, char *line,
				       size_t size)
{
	struct termios saved, quiet;
	bool restore = tcgetattr(STDIN_FILENO, &saved) == 0;
	if (restore) {
		quiet = saved;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ECHONL;
		if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) != 0)
			restore = false;
	}
	fputs(prompt, ctx->err);
	fflush(ctx->err);
	enum ctl_line_result res = ctl_read_line(STDIN_FILENO, line, size);
	if (restore)
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
	return res;
}

int ctl_password_read(struct ctl_context *ctx, char **password_r)
{
	char *first = xcalloc(1, CTL_PASSWORD_LINE_MAX);
	char *second = NULL;
	int ret;
	enum ctl_line_result res;
	*password_r = NULL;

	if (!isatty(STDIN_FILENO)) {
		res = ctl_read_line(STDIN_FILENO, first, CTL_PASSWORD_LINE_MAX);
		ret = ctl_password_check(ctx, res, first);
		if (ret == CTL_EXIT_OK && res == CTL_LINE_OK) {
			*password_r = first;
			first = NULL;
		}
		goto out;
	}
	res = ctl_prompt(ctx, "New password: ", first, CTL_PASSWORD_LINE_MAX);
	if (res == CTL_LINE_EOF) {
		ret = ctl_fail(ctx, "no password entered");
		goto out;
	}
	ret = ctl_password_check(ctx, res, first);
	if (ret != CTL_EXIT_OK)
		goto out;
	second = xcalloc(1, CTL_PASSWORD_LINE_MAX);
	res = ctl_prompt(ctx, "Retype new password: ", second, CTL_PASSWORD_LINE_MAX);
	if (res != CTL_LINE_OK || strcmp(first, second) != 0) {
		ret = ctl_fail(ctx, "the passwords do not match");
		goto out;
	}
	*password_r = first;
	first = NULL;
out:
	ctl_password_free(&first);
	ctl_password_free(&second);
	return ret;
}

void ctl_password_free(char **password)
{
	if (*password == NULL)
		return;
	explicit_bzero(*password, CTL_PASSWORD_LINE_MAX);
	free(*password);
	*password = NULL;
}
