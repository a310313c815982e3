/* session-id.h - short session ids that tag every log line of a connection.
 *
 * An id is the server's start time and a per-process connection counter, both
 * in lower-case base 32: unique within a process and, thanks to the start
 * time, across restarts. Pure formatting: the counter lives in the caller's
 * context (struct net_server), never here.
 */
#ifndef TANDEM_SESSION_ID_H
#define TANDEM_SESSION_ID_H

#include <stdint.h>

/* Longest id plus its NUL: 6 characters of start time, up to 13 of counter. */
#define SESSION_ID_SIZE 20

/* Write the id of connection number counter of a server started at
 * start_time (unix seconds) into out, e.g. "0nq4k80001". */
void session_id_format(uint64_t start_time, uint64_t counter, char out[SESSION_ID_SIZE]);

#endif
