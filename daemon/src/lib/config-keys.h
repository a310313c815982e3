/* config-keys.h - the one place that declares every tandemd configuration key,
 * with its type, default and documentation line. Included (X-macro style) by
 * config.h for the struct and by config.c for parsing, defaults and the
 * README table (`tandemd --config-doc`). Keep the doc lines short. */
CONFIG_KEY(database_driver, STRING, "sqlite", "Storage backend: `sqlite` or `pgsql`.")
CONFIG_KEY(sqlite_path, STRING, "/var/lib/tandem/tandem.db", "SQLite database file (WAL mode, synchronous=FULL).")
CONFIG_KEY(pgsql_uri, STRING, "", "libpq connection URI when database_driver is pgsql, e.g. `postgresql:///tandem?host=/run/postgresql`.")
CONFIG_KEY(busy_timeout_ms, UINT, "10000", "How long a writer waits for the database write lock before failing (ms; SQLite busy timeout, PostgreSQL advisory lock).")
CONFIG_KEY(commit_batch_max, UINT, "512", "Most deliveries the group committer puts into one transaction.")
CONFIG_KEY(lmtp_listen, STRING, "127.0.0.1:2424", "LMTP listeners, comma-separated: `host:port`, `[v6]:port` or `unix:/path`.")
CONFIG_KEY(unix_socket_mode, UINT, "0660", "Permissions of UNIX listening sockets (octal).")
CONFIG_KEY(worker_threads, UINT, "0", "Worker threads with their own event loop and database connection; 0 = one per CPU core.")
CONFIG_KEY(run_user, STRING, "", "Unprivileged user tandemd switches to after binding its ports; empty keeps the current user.")
CONFIG_KEY(pid_file, STRING, "", "Write the daemon's pid here when set.")
CONFIG_KEY(hostname, STRING, "", "Name used in greetings and trace headers; empty = the system host name.")
CONFIG_KEY(log_target, STRING, "stderr", "Where log lines go: `stderr` or `syslog` (facility mail).")
CONFIG_KEY(log_level, STRING, "info", "Least severe level logged: error, warning, info or debug.")
CONFIG_KEY(max_connections, UINT, "20000", "Most client connections at once, all services together.")
CONFIG_KEY(max_connections_per_address, UINT, "1024", "Most connections at once from one client IP address (UNIX sockets are not counted).")
CONFIG_KEY(idle_timeout, UINT, "300", "Seconds a connection may stay silent before it is closed.")
CONFIG_KEY(max_line_length, SIZE, "4096", "Longest protocol command line accepted, in bytes.")
CONFIG_KEY(max_message_size, SIZE, "52428800", "Largest message accepted, in bytes (LMTP SIZE; 552 5.3.4 beyond).")
CONFIG_KEY(max_recipients, UINT, "1000", "Most recipients in one LMTP transaction.")
CONFIG_KEY(shutdown_timeout, UINT, "30", "Seconds SIGTERM waits for in-flight deliveries to finish.")
