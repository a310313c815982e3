/* sieve-test-message.h - the one message the Sieve unit tests
 * (test-sieve-run.c) and the fuzz target (fuzz-sieve.c) run scripts on, and
 * the user's own addresses that go with it: a real multipart message with
 * folded and RFC 2047 encoded header fields, a group address, a repeated
 * and an empty field, a quoted-printable Latin-1 text part, an HTML part and
 * a base64 attachment.
 *
 * Test and fuzz code only: never included by the interpreter itself.
 */
#ifndef TANDEM_SIEVE_TEST_MESSAGE_H
#define TANDEM_SIEVE_TEST_MESSAGE_H

#include <stddef.h>

#define SIEVE_TEST_MESSAGE                                                           \
	"Return-Path: <alice@example.org>\r\n"                                       \
	"From: \"Alice\" <alice+lists@Example.ORG>\r\n"                              \
	"To: bob@example.com, \"Friends\": carol@example.net, dave+x@example.net;\r\n" \
	"Cc: =?UTF-8?Q?J=C3=BCrgen?= <juergen@example.de>\r\n"                      \
	"Subject: =?UTF-8?B?SGVsbG8gV8O2cmxk?=\r\n"                                 \
	" continued\r\n"                                                             \
	"Sender: dave+@example.net\r\n"                                              \
	"X-Spam-Score: 7\r\n"                                                        \
	"X-Spam-Score: 12\r\n"                                                       \
	"X-Empty:\r\n"                                                               \
	"Message-ID: <abc@example.org>\r\n"                                          \
	"MIME-Version: 1.0\r\n"                                                      \
	"Content-Type: multipart/mixed; boundary=\"b1\"\r\n"                         \
	"\r\n"                                                                       \
	"--b1\r\n"                                                                   \
	"Content-Type: text/plain; charset=iso-8859-1\r\n"                           \
	"Content-Transfer-Encoding: quoted-printable\r\n"                            \
	"\r\n"                                                                       \
	"Gr=FC=DFe aus Berlin, secret code 4711\r\n"                                 \
	"--b1\r\n"                                                                   \
	"Content-Type: text/html; charset=utf-8\r\n"                                 \
	"\r\n"                                                                       \
	"<p>HTML part with banana</p>\r\n"                                           \
	"--b1\r\n"                                                                   \
	"Content-Type: application/octet-stream\r\n"                                 \
	"Content-Transfer-Encoding: base64\r\n"                                      \
	"\r\n"                                                                       \
	"YXR0YWNobWVudCBjaGVycnk=\r\n"                                               \
	"--b1--\r\n"

/* The recipient's own addresses (vacation never answers them), NULL-ended:
 * static const char *const own[] = SIEVE_TEST_OWN_ADDRESSES; */
#define SIEVE_TEST_OWN_ADDRESSES { "bob@example.com", "robert@example.com", NULL }

#endif
