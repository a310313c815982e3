/* fuzz-policy.c - libFuzzer target for the policy delegation request parser
 * (policy-parse.c) and the helpers that take request values (greylist.c's
 * client network and sender normalization, dnsbl.c's query names).
 *
 * The input is a stream as Postfix's policy client would send it: it is cut
 * at LF into lines (a line longer than POLICY_LINE_MAX is marked bad, as the
 * session's line reader does) and fed request by request. Besides "no crash,
 * no read past the input", it checks what the session relies on: a request
 * never holds more than its limits, every attribute found by name is the
 * one stored, and the derived keys are NUL-terminated within their sizes.
 * Seeds: tests/fuzz-corpus/policy/.
 */
#include "dnsbl.h"
#include "greylist.h"
#include "policy-parse.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                         \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(stderr, "fuzz-policy: check failed: %s\n", #cond); \
			abort();                                                 \
		}                                                                \
	} while (0)

static void check_request(const struct policy_request *req)
{
	FUZZ_CHECK(req->count <= POLICY_ATTRS_MAX);
	FUZZ_CHECK(req->used <= POLICY_REQUEST_MAX);
	for (size_t i = 0; i < req->count; i++) {
		const char *name = req->attrs[i].name;
		FUZZ_CHECK(name >= req->data && name < req->data + req->used);
		FUZZ_CHECK(strlen(name) > 0 && strlen(name) <= POLICY_NAME_MAX);
		/* names are unique: lookup finds this very attribute */
		FUZZ_CHECK(policy_request_get(req, name) == req->attrs[i].value);
	}
	const char *client = policy_request_get(req, "client_address");
	if (client != NULL) {
		char net[GREYLIST_NET_TEXT_MAX];
		if (greylist_client_network(client, 24, 64, net, sizeof(net)) == 0)
			FUZZ_CHECK(strlen(net) < sizeof(net) && strchr(net, '/') != NULL);
		char query[DNSBL_QUERY_MAX + 1];
		if (dnsbl_query_name(client, "bl.example", query, sizeof(query)) == 0)
			FUZZ_CHECK(strlen(query) < sizeof(query));
	}
	const char *sender = policy_request_get(req, "sender");
	if (sender != NULL) {
		char out[GREYLIST_SENDER_MAX + 1];
		greylist_sender_normalize(sender, out, sizeof(out));
		FUZZ_CHECK(strlen(out) <= GREYLIST_SENDER_MAX);
		char small[5];
		greylist_sender_normalize(sender, small, sizeof(small));
		FUZZ_CHECK(strlen(small) < sizeof(small));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct policy_request req; /* 16 KiB: not on the stack */
	policy_request_reset(&req);
	const char *p = (const char *)data, *end = p + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl != NULL ? nl : end) - p);
		if (len > POLICY_LINE_MAX + 1)
			policy_request_mark_bad(&req, "line too long");
		else if (policy_request_add_line(&req, p, len) == POLICY_PARSE_END) {
			check_request(&req);
			policy_request_reset(&req);
		}
		p += len + (nl != NULL ? 1 : 0);
	}
	check_request(&req);
	return 0;
}
