/* ctl-mbox.h - the pure rules of the mboxrd format for `tandemctl import`
 * and `export`: splitting a file at its "From " lines, (un)quoting ">From ",
 * the date and sender of a From_ line. No I/O here.
 *
 * The reading and writing rules are each other's inverse, so a message
 * exported and imported again comes back byte for byte:
 *   writer: "From SENDER DATE\n" + message with every line matching
 *           /^>*From / given one more '>' + "\n"
 *   reader: a message runs from after its From_ line to the "\n" before the
 *           next line starting "From " (that "\n" is the writer's), or to
 *           the end of the file less one "\n"; every line matching
 *           /^>+From / loses one '>'. When the From_ line ends in "\r\n" the
 *           separator is "\r\n" (mbox files written with CRLF).
 */
#ifndef TANDEM_CTL_MBOX_H
#define TANDEM_CTL_MBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Longest From_ line looked at for its date (longer ones still split). */
#define CTL_MBOX_FROM_LINE_MAX 1000
/* Longest envelope sender written in a From_ line. */
#define CTL_MBOX_SENDER_MAX 320

struct ctl_mbox_reader {
	const unsigned char *data;
	size_t size;
	size_t pos;      /* start of the next From_ line */
	unsigned number; /* messages returned so far */
};

struct ctl_mbox_message {
	const unsigned char *from_line; /* after "From ", without the line end */
	size_t from_line_len;
	const unsigned char *quoted;    /* the message, still quoted */
	size_t quoted_len;
	unsigned number;                /* 1, 2, ... in the file */
	size_t offset;                  /* byte offset of its From_ line */
};

/* True when data starts like an mbox file ("From "). */
bool ctl_mbox_detect(const unsigned char *data, size_t size);

void ctl_mbox_reader_init(struct ctl_mbox_reader *reader, const unsigned char *data, size_t size);
/* The next message: true, or false at the end. The data must start with a
 * From_ line (ctl_mbox_detect); empty data has no messages. */
bool ctl_mbox_next(struct ctl_mbox_reader *reader, struct ctl_mbox_message *msg_r);

/* Append data with one '>' removed from each /^>+From / line. */
void ctl_mbox_unquote(const unsigned char *data, size_t size, struct buf *out);
/* Append data with one '>' added to each /^>*From / line. */
void ctl_mbox_quote(const unsigned char *data, size_t size, struct buf *out);

/* The date of a From_ line (text after "From "), as written by ctime():
 * "sender Www Mmm dd hh:mm:ss yyyy", also with a numeric zone before or after
 * the year. Returns 0 with unix time, or -1 when there is no such date. */
int ctl_mbox_from_line_time(const unsigned char *line, size_t len, int64_t *time_r);

/* Append "From SENDER Www Mmm dd hh:mm:ss yyyy\n" (UTC). sender must not
 * be empty or contain white space (see ctl_mbox_sender). */
void ctl_mbox_write_from_line(struct buf *out, const char *sender, int64_t unix_time);

/* The envelope sender for a From_ line taken from the message's header:
 * Return-Path, else the address in From:, else "MAILER-DAEMON" (also for
 * the null sender "<>"). White space and control bytes become '_'. */
void ctl_mbox_sender(const unsigned char *data, size_t size, char *out, size_t outsize);

#endif
