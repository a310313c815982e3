/* ms-parse.h - the ManageSieve command grammar (RFC 5804 4): atoms,
 * numbers, quoted strings and literals ({n} and {n+}), split out of a
 * command the session has assembled (its lines, each literal's marker
 * followed by CRLF and the literal's octets). Pure functions, no I/O, no
 * session, so the unit tests and the fuzzer drive them alone.
 *
 * Never reads past the length given, never allocates, never accepts more
 * than MANAGESIEVE_ARGS_MAX arguments.
 */
#ifndef TANDEM_MS_PARSE_H
#define TANDEM_MS_PARSE_H

#include "managesieve.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest number a literal marker or a number argument may hold (RFC
 * 5804 4: number = 0..4294967295). */
#define MS_NUMBER_MAX 4294967295ULL

enum ms_arg_type {
	MS_ARG_ATOM,    /* command names, numbers, ACTIVE... */
	MS_ARG_STRING,  /* quoted string or literal, unescaped */
};

struct ms_arg {
	enum ms_arg_type type;
	const char *data;   /* NUL-terminated (a literal may hold NUL before len) */
	size_t len;
};

struct ms_args {
	unsigned count;     /* tokens, the command name (or the SASL response) included */
	struct ms_arg args[MANAGESIEVE_ARGS_MAX + 1];
};

/* Whether a command line (len bytes, CRLF removed) ends in a literal
 * marker "{n}" or "{n+}": 1 and *size_r = n; 0 when it does not; -1 when
 * the marker's number is malformed or above MS_NUMBER_MAX. */
int ms_parse_literal_marker(const char *line, size_t len, uint64_t *size_r);

/* Split an assembled command (len bytes; data[len] must be writable) into
 * tokens separated by single spaces. Works in place: quoted strings are
 * unescaped and every token NUL-terminated inside data. -1 with *error_r
 * (static text for NO "...") when empty, malformed, or with more than
 * MANAGESIEVE_ARGS_MAX + 1 tokens. */
int ms_parse_tokens(char *data, size_t len, struct ms_args *args_r, const char **error_r);

/* A number argument (atom of 1..10 digits, <= MS_NUMBER_MAX). */
int ms_parse_number(const struct ms_arg *arg, uint64_t *number_r);

/* Whether text (len bytes) can go out as a quoted string (no CR, LF,
 * NUL; at most 1024 bytes): else send it as a literal. */
bool ms_quotable(const char *text, size_t len);

#endif
