/* fuzz-imap-bodysection.c - libFuzzer target for imap-bodysection.c. The
 * input is a section line, a newline, then a message: the line is parsed as
 * section text (optionally "<origin.count>" after a ']') and, when it
 * parses, cut from the message (and decoded, when it parses as a BINARY
 * section), as are a few fixed sections. Aborts when a promise breaks:
 * bytes outside the message (or the built copy), a size beyond the
 * partial's count, BODY[] or HEADER + TEXT not the whole message, or a
 * canonical section text that does not parse back to itself.
 * Never keeps state between inputs.
 */
#include "imap-bodysection.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz-imap-bodysection: %s\n", what);
		abort();
	}
}

static void cut(const unsigned char *msg, size_t msg_size, const struct imap_section *s)
{
	struct imap_bodysection_result r;
	imap_bodysection_get(msg, msg_size, s, &r);
	const unsigned char *lo = msg, *hi = msg + msg_size;
	if (r.built.len > 0 && r.data >= r.built.data && r.data <= r.built.data + r.built.len) {
		lo = r.built.data;
		hi = r.built.data + r.built.len;
	}
	check(r.size == 0 || (r.data >= lo && r.data + r.size <= hi), "bytes outside the input");
	check(!s->partial || r.size <= s->count, "more than the partial count");
	check(!r.missing || r.size == 0, "missing part with bytes");
	if (s->path_len == 0 && s->kind == IMAP_SECTION_BODY && !s->partial)
		check(r.size == msg_size, "BODY[] is not the whole message");
	if ((s->kind == IMAP_SECTION_HEADER_FIELDS || s->kind == IMAP_SECTION_HEADER_FIELDS_NOT) &&
	    !r.missing && !s->partial)
		check(r.size >= 2 && memcmp(r.data + r.size - 2, "\r\n", 2) == 0,
		      "HEADER.FIELDS does not end in CRLF");
	imap_bodysection_result_free(&r);
}

/* BINARY[]: bytes inside the message or the decoded copy */
static void binary_cut(const unsigned char *msg, size_t msg_size, const struct imap_section *s)
{
	struct imap_bodysection_result r;
	const char *error = NULL;
	int ret = imap_bodysection_binary(msg, msg_size, s, &r, &error);
	check(ret == 0 || (error != NULL && r.size == 0), "BINARY failed without an error");
	const unsigned char *lo = msg, *hi = msg + msg_size;
	if (r.built.len > 0 && r.data >= r.built.data && r.data <= r.built.data + r.built.len) {
		lo = r.built.data;
		hi = r.built.data + r.built.len;
	}
	check(r.size == 0 || (r.data >= lo && r.data + r.size <= hi),
	      "BINARY bytes outside the input");
	check(!s->partial || r.size <= s->count, "BINARY: more than the partial count");
	imap_bodysection_result_free(&r);
}

/* write -> parse -> write gives the same text */
static void round_trip(const struct imap_section *s, bool binary)
{
	struct buf a, b;
	buf_init(&a);
	buf_init(&b);
	buf_append(&a, "", 0); /* never NULL */
	buf_append(&b, "", 0);
	imap_section_write(s, &a);
	struct imap_section again;
	const char *error;
	check(imap_section_parse((const char *)a.data, a.len, binary, &again, &error) == 0,
	      "canonical section text does not parse");
	imap_section_write(&again, &b);
	check(a.len == b.len && memcmp(a.data, b.data, a.len) == 0,
	      "canonical section text changes");
	imap_section_free(&again);
	buf_free(&a);
	buf_free(&b);
}

static const char *const fixed[] = {
	"", "HEADER", "TEXT", "1", "1.MIME", "2", "2.1", "1.HEADER", "2.TEXT",
	"HEADER.FIELDS (From To)", "1.HEADER.FIELDS.NOT (Subject)",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t line_len = nl == NULL ? size : (size_t)(nl - data);
	const unsigned char *msg = nl == NULL ? data + size : nl + 1;
	size_t msg_size = size - (size_t)(msg - data);
	const char *line = (const char *)data;
	const char *close = memchr(line, ']', line_len);
	size_t spec_len = close == NULL ? line_len : (size_t)(close - line);
	for (int binary = 0; binary <= 1; binary++) {
		struct imap_section s;
		const char *error = NULL;
		if (imap_section_parse(line, spec_len, binary, &s, &error) < 0) {
			check(error != NULL, "parse failed without an error");
			continue;
		}
		round_trip(&s, binary);
		if (close != NULL)
			(void)imap_partial_parse(close + 1, line_len - spec_len - 1, &s, &error);
		cut(msg, msg_size, &s);
		if (binary)
			binary_cut(msg, msg_size, &s);
		imap_section_free(&s);
	}
	/* HEADER then TEXT is the whole message */
	struct imap_section hs, ts;
	const char *error;
	check(imap_section_parse("HEADER", 6, false, &hs, &error) == 0 &&
		      imap_section_parse("TEXT", 4, false, &ts, &error) == 0,
	      "HEADER / TEXT do not parse");
	struct imap_bodysection_result hr, tr;
	imap_bodysection_get(msg, msg_size, &hs, &hr);
	imap_bodysection_get(msg, msg_size, &ts, &tr);
	check(hr.size + tr.size == msg_size && (msg_size == 0 || (hr.data == msg &&
							       tr.data == msg + hr.size)),
	      "HEADER + TEXT is not the message");
	imap_bodysection_result_free(&hr);
	imap_bodysection_result_free(&tr);
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		struct imap_section s;
		check(imap_section_parse(fixed[i], strlen(fixed[i]), false, &s, &error) == 0,
		      "fixed section does not parse");
		cut(msg, msg_size, &s);
		imap_section_free(&s);
	}
	return 0;
}
