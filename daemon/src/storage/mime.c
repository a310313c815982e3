/* mime.c - mime_message_parse(): cut a raw message into literal and part
 * segments for single-instance storage, and fill in what IMAP needs so it
 * never re-parses (header fields, sizes, ENVELOPE, BODYSTRUCTURE, BODY).
 *
 * The structure comes from mime-scan.c, which works on byte offsets in the
 * input (GMime 3.2 exposes offsets only for leaf contents, not for embedded
 * messages, boundaries or epilogues, which IMAP sizes need). The one promise
 * that must hold for any input: the segments concatenate to exactly the
 * input bytes. It is checked here, and when it does not hold the message
 * falls back to fewer parts (header + one body part, then one literal).
 * Never does I/O, never keeps state between calls, never copies the body.
 */
#include "mime-private.h"
#include "xalloc.h"

#include <gmime/gmime.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

void mime_init(void)
{
	g_mime_init();
}

void mime_deinit(void)
{
	g_mime_shutdown();
}

static void scan_stats(struct mime_message *msg)
{
	const unsigned char *d = msg->data;
	size_t lf = 0;
	unsigned char high = 0;
	bool bare = d[0] == '\n';
	for (size_t i = 0; i < msg->size; i++) {
		high |= d[i];
		if (d[i] == '\n') {
			lf++;
			if (i > 0 && d[i - 1] != '\r')
				bare = true;
		}
	}
	msg->line_count = lf > UINT_MAX ? UINT_MAX : (unsigned)lf;
	msg->has_8bit = (high & 0x80) != 0;
	msg->bare_lf = bare;
}

static void collect_headers(struct mime_message *msg)
{
	size_t cap = 16;
	msg->headers = xmalloc(cap * sizeof(msg->headers[0]));
	size_t pos = 0;
	while (msg->header_count < MIME_CACHED_HEADERS_MAX) {
		struct mime_header_field_pos f;
		size_t next;
		enum mime_header_line kind = mime_header_next(msg->data, msg->size, pos, &f, &next);
		if (kind == MIME_HEADER_END || kind == MIME_HEADER_EOF || next > msg->header_size)
			break;
		pos = next;
		if (kind != MIME_HEADER_FIELD)
			continue;
		if (msg->header_count == cap) {
			cap *= 2;
			msg->headers = xrealloc(msg->headers, cap * sizeof(msg->headers[0]));
		}
		struct buf value;
		buf_init(&value);
		mime_append_clean(&value, msg->data + f.value_start, f.value_end - f.value_start,
				  true);
		buf_append(&value, "", 0); /* NUL-terminated even when empty */
		struct mime_header_field *h = &msg->headers[msg->header_count++];
		h->name = xstrndup((const char *)msg->data + f.name_start, f.name_end - f.name_start);
		h->value = buf_steal(&value, NULL);
	}
}

static void add_segment(struct mime_message *msg, size_t *cap, size_t start, size_t end,
			bool is_part)
{
	if (end <= start)
		return;
	if (!is_part && msg->segment_count > 0) {
		struct mime_segment *last = &msg->segments[msg->segment_count - 1];
		if (!last->is_part && last->offset + last->size == start) {
			last->size += end - start;
			return;
		}
	}
	struct mime_segment *seg = XARRAY_PUSH(msg->segments, msg->segment_count, *cap);
	memset(seg, 0, sizeof(*seg));
	seg->offset = start;
	seg->size = end - start;
	seg->is_part = is_part;
}

static void clear_segments(struct mime_message *msg)
{
	free(msg->segments);
	msg->segments = NULL;
	msg->segment_count = 0;
}

/* Literal between leaf bodies, the leaf bodies as parts; false if the leaves
 * are not in order inside the message. */
static bool segments_from_tree(struct mime_message *msg, const struct mime_tree *tree)
{
	size_t cap = 0, pos = 0;
	for (size_t i = 0; i < tree->count; i++) {
		const struct mime_node *n = &tree->nodes[i];
		if (n->first_child >= 0 || n->body_end == n->body_start)
			continue;
		if (n->body_start < pos || n->body_end < n->body_start || n->body_end > msg->size)
			return false;
		add_segment(msg, &cap, pos, n->body_start, false);
		add_segment(msg, &cap, n->body_start, n->body_end, true);
		pos = n->body_end;
	}
	add_segment(msg, &cap, pos, msg->size, false);
	return true;
}

static void segments_fallback(struct mime_message *msg, bool with_body_part)
{
	size_t cap = 0;
	clear_segments(msg);
	if (with_body_part) {
		add_segment(msg, &cap, 0, msg->header_size, false);
		add_segment(msg, &cap, msg->header_size, msg->size, true);
	} else {
		add_segment(msg, &cap, 0, msg->size, false);
	}
}

/* The promise of mime.h: the segments are the message, byte for byte. */
static bool segments_valid(const struct mime_message *msg)
{
	size_t pos = 0;
	for (size_t i = 0; i < msg->segment_count; i++) {
		const struct mime_segment *seg = &msg->segments[i];
		if (seg->offset != pos || seg->size == 0 || seg->size > msg->size - pos)
			return false;
		if (i > 0 && !seg->is_part && !msg->segments[i - 1].is_part)
			return false;
		pos += seg->size;
	}
	return pos == msg->size;
}

static void hash_parts(struct mime_message *msg)
{
	for (size_t i = 0; i < msg->segment_count; i++) {
		struct mime_segment *seg = &msg->segments[i];
		unsigned int len = 0;
		if (!seg->is_part)
			continue;
		if (EVP_Digest(msg->data + seg->offset, seg->size, seg->hash, &len, EVP_sha256(),
			       NULL) != 1 ||
		    len != MIME_HASH_SIZE)
			fatal("mime: SHA-256 failed");
	}
}

static char *tree_string(const struct mime_tree *tree, int what)
{
	struct buf b;
	buf_init(&b);
	if (what == 0)
		mime_envelope_append(&b, tree, 0);
	else
		mime_bodystructure_append(&b, tree, 0, what == 1);
	return buf_steal(&b, NULL);
}

int mime_message_parse(const unsigned char *data, size_t size, struct mime_message **msg_r,
		       const char **error_r)
{
	if (data == NULL || size == 0) {
		*error_r = "empty message";
		return -1;
	}
	struct mime_message *msg = xcalloc(1, sizeof(*msg));
	msg->data = data;
	msg->size = size;
	scan_stats(msg);

	struct mime_tree tree;
	if (mime_tree_scan(data, size, false, &tree) < 0) {
		/* too many parts: header and one opaque body */
		(void)mime_tree_scan(data, size, true, &tree);
	}
	msg->header_size = tree.nodes[0].body_start;
	collect_headers(msg);

	if (!segments_from_tree(msg, &tree) || !segments_valid(msg)) {
		segments_fallback(msg, true);
		if (!segments_valid(msg))
			segments_fallback(msg, false);
	}
	hash_parts(msg);

	msg->envelope = tree_string(&tree, 0);
	msg->bodystructure = tree_string(&tree, 1);
	msg->body = tree_string(&tree, 2);
	mime_tree_free(&tree);
	*msg_r = msg;
	return 0;
}

void mime_message_free(struct mime_message **msgp)
{
	struct mime_message *msg = *msgp;
	if (msg == NULL)
		return;
	*msgp = NULL;
	for (size_t i = 0; i < msg->header_count; i++) {
		free(msg->headers[i].name);
		free(msg->headers[i].value);
	}
	free(msg->headers);
	free(msg->segments);
	free(msg->envelope);
	free(msg->bodystructure);
	free(msg->body);
	free(msg);
}
