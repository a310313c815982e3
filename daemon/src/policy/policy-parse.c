/* policy-parse.c - parsing one policy delegation request line by line (see
 * policy-parse.h). Never allocates, never reads past the line given, never
 * keeps more than POLICY_REQUEST_MAX bytes of a request.
 */
#include "policy-parse.h"

#include <string.h>

void policy_request_reset(struct policy_request *req)
{
	req->count = 0;
	req->used = 0;
	req->bad = false;
	req->bad_reason = NULL;
}

void policy_request_mark_bad(struct policy_request *req, const char *reason)
{
	if (!req->bad) {
		req->bad = true;
		req->bad_reason = reason;
	}
}

/* Postfix's names: lower-case letters, digits, '_' (and '-' in some
 * third-party clients). */
static bool policy_name_valid(const char *name, size_t len)
{
	if (len == 0 || len > POLICY_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

enum policy_parse_result policy_request_add_line(struct policy_request *req, const char *line,
						 size_t len)
{
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 0)
		return POLICY_PARSE_END;
	if (req->bad)
		return POLICY_PARSE_MORE; /* only looking for the end now */
	if (len > POLICY_LINE_MAX) {
		policy_request_mark_bad(req, "line too long");
		return POLICY_PARSE_MORE;
	}
	if (memchr(line, '\0', len) != NULL) {
		policy_request_mark_bad(req, "NUL in line");
		return POLICY_PARSE_MORE;
	}
	const char *eq = memchr(line, '=', len);
	if (eq == NULL) {
		policy_request_mark_bad(req, "line without '='");
		return POLICY_PARSE_MORE;
	}
	size_t name_len = (size_t)(eq - line);
	size_t value_len = len - name_len - 1;
	if (!policy_name_valid(line, name_len)) {
		policy_request_mark_bad(req, "bad attribute name");
		return POLICY_PARSE_MORE;
	}
	if (req->count >= POLICY_ATTRS_MAX) {
		policy_request_mark_bad(req, "too many attributes");
		return POLICY_PARSE_MORE;
	}
	if (POLICY_REQUEST_MAX - req->used < name_len + value_len + 2) {
		policy_request_mark_bad(req, "request too large");
		return POLICY_PARSE_MORE;
	}
	char *name = req->data + req->used;
	memcpy(name, line, name_len);
	name[name_len] = '\0';
	if (policy_request_get(req, name) != NULL) {
		policy_request_mark_bad(req, "attribute repeated");
		return POLICY_PARSE_MORE;
	}
	char *value = name + name_len + 1;
	memcpy(value, eq + 1, value_len);
	value[value_len] = '\0';
	req->used += name_len + value_len + 2;
	req->attrs[req->count].name = name;
	req->attrs[req->count].value = value;
	req->count++;
	return POLICY_PARSE_MORE;
}

const char *policy_request_get(const struct policy_request *req, const char *name)
{
	for (size_t i = 0; i < req->count; i++)
		if (strcmp(req->attrs[i].name, name) == 0)
			return req->attrs[i].value;
	return NULL;
}
