-- 001-initial.sql (SQLite): Tandem's first schema.
-- The schema is the documentation of the data: every table and column says
-- what it holds. Addresses and domain names are stored lower case. Times are
-- unix seconds. The PostgreSQL twin is schema/pgsql/001-initial.sql.

-- Which migration the database is at; exactly one row.
CREATE TABLE schema_version (
    version INTEGER NOT NULL
);

-- Mail domains this appliance is the final destination for.
CREATE TABLE domains (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,                        -- e.g. example.test
    default_quota_bytes INTEGER NOT NULL DEFAULT 0,   -- given to new users; 0 = unlimited
    default_quota_messages INTEGER NOT NULL DEFAULT 0,-- given to new users; 0 = unlimited
    created INTEGER NOT NULL
);

-- Mail accounts. An LDAP user's row is created on first login or delivery.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    domain_id INTEGER NOT NULL REFERENCES domains(id),
    address TEXT NOT NULL UNIQUE,                     -- localpart@domain
    password_hash TEXT NOT NULL DEFAULT '',           -- crypt(3) hash; '' = no SQL password
    source TEXT NOT NULL DEFAULT 'sql' CHECK (source IN ('sql', 'ldap')),
    quota_bytes INTEGER NOT NULL DEFAULT 0,           -- 0 = unlimited
    quota_messages INTEGER NOT NULL DEFAULT 0,        -- 0 = unlimited
    used_bytes INTEGER NOT NULL DEFAULT 0,            -- sum of mailbox_messages.size
    used_messages INTEGER NOT NULL DEFAULT 0,         -- count of mailbox_messages
    last_uidvalidity INTEGER NOT NULL DEFAULT 0,      -- last UIDVALIDITY given to one of its mailboxes (never reused)
    created INTEGER NOT NULL
);
CREATE INDEX users_domain ON users(domain_id);

-- Alternative addresses: mail to address goes to target (a local user, a
-- local alias, or an external address that Postfix forwards to).
CREATE TABLE aliases (
    id INTEGER PRIMARY KEY,
    domain_id INTEGER NOT NULL REFERENCES domains(id),
    address TEXT NOT NULL,
    target TEXT NOT NULL,
    UNIQUE (address, target)
);

-- A user's folders. Names use '/' as hierarchy separator; INBOX is "INBOX".
CREATE TABLE mailboxes (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    uidvalidity INTEGER NOT NULL,                     -- IMAP UIDVALIDITY, fixed at creation
    uidnext INTEGER NOT NULL DEFAULT 1,               -- next UID to give out
    highestmodseq INTEGER NOT NULL DEFAULT 1,         -- CONDSTORE: last modseq given out
    special_use TEXT NOT NULL DEFAULT '',             -- RFC 6154: \Drafts, \Sent, \Junk, \Trash, \Archive or ''
    subscribed INTEGER NOT NULL DEFAULT 1,            -- 1 if in the user's LSUB list
    UNIQUE (user_id, name)
);

-- Bodies of leaf MIME parts, stored once however many messages contain them
-- (single-instance), found by the SHA-256 of their bytes.
CREATE TABLE mime_parts (
    id INTEGER PRIMARY KEY,
    hash BLOB NOT NULL UNIQUE,                        -- SHA-256 of data
    size INTEGER NOT NULL,                            -- length of data
    refcount INTEGER NOT NULL,                        -- message_segments rows pointing here
    data BLOB NOT NULL                                -- the part body, exactly as received
);

-- Physical messages: one per delivered message, shared by every recipient of
-- one delivery and by IMAP copies. What IMAP needs is computed at delivery.
CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    size INTEGER NOT NULL,                            -- bytes of the raw message
    header_size INTEGER NOT NULL,                     -- bytes of its top-level header
    line_count INTEGER NOT NULL,
    refcount INTEGER NOT NULL,                        -- mailbox_messages rows pointing here
    envelope TEXT NOT NULL,                           -- IMAP ENVELOPE
    bodystructure TEXT NOT NULL,                      -- IMAP BODYSTRUCTURE
    body TEXT NOT NULL,                               -- IMAP BODY
    has_8bit INTEGER NOT NULL,                        -- 1 if any byte >= 0x80
    bare_lf INTEGER NOT NULL,                         -- 1 if lines end in LF, not CRLF
    created INTEGER NOT NULL
);

-- A message's bytes in order: each segment is a literal (headers,
-- boundaries) or a shared MIME part body. Their concatenation is the message.
CREATE TABLE message_segments (
    message_id INTEGER NOT NULL REFERENCES messages(id),
    seq INTEGER NOT NULL,                             -- 0, 1, 2 ... in message order
    literal BLOB,                                     -- bytes kept with the message, or NULL
    part_id INTEGER REFERENCES mime_parts(id),        -- the shared body, or NULL
    PRIMARY KEY (message_id, seq),
    CHECK ((literal IS NULL) <> (part_id IS NULL))
);
CREATE INDEX message_segments_part ON message_segments(part_id);

-- The top-level header fields of each message, cached for SEARCH and SORT.
CREATE TABLE header_fields (
    message_id INTEGER NOT NULL REFERENCES messages(id),
    position INTEGER NOT NULL,                        -- 0-based order in the header
    name TEXT NOT NULL,                               -- lower case field name
    value TEXT NOT NULL,                              -- unfolded raw value (UTF-8, bad bytes as '?')
    PRIMARY KEY (message_id, position)
);

-- A message as it sits in one mailbox: what IMAP calls a message.
CREATE TABLE mailbox_messages (
    id INTEGER PRIMARY KEY,
    mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id),
    uid INTEGER NOT NULL,
    message_id INTEGER NOT NULL REFERENCES messages(id),
    flags INTEGER NOT NULL DEFAULT 0,                 -- bits: 1 Seen, 2 Answered, 4 Flagged, 8 Deleted, 16 Draft
    keywords TEXT NOT NULL DEFAULT '',                -- space-separated IMAP keywords
    modseq INTEGER NOT NULL,                          -- CONDSTORE modseq of the last change
    internal_date INTEGER NOT NULL,                   -- IMAP INTERNALDATE
    size INTEGER NOT NULL,                            -- length(trace) + messages.size
    trace BLOB,                                       -- header lines added at delivery for this recipient
    UNIQUE (mailbox_id, uid)
);
CREATE INDEX mailbox_messages_message ON mailbox_messages(message_id);

-- Sieve scripts (ManageSieve); at most one active per user.
CREATE TABLE sieve_scripts (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    script TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 0,
    UNIQUE (user_id, name)
);

-- IMAP ACLs (RFC 4314) on shared folders.
CREATE TABLE acls (
    mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id),
    identifier TEXT NOT NULL,                         -- user address, "anyone", or "-address"
    rights TEXT NOT NULL,                             -- RFC 4314 letters, e.g. "lrs"
    PRIMARY KEY (mailbox_id, identifier)
);

-- Greylisting triplets (Postfix policy service), kept here so they live on
-- the replicated volume and survive a failover.
CREATE TABLE greylist (
    client_net TEXT NOT NULL,                         -- client address or network
    sender TEXT NOT NULL,
    recipient TEXT NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    pass_count INTEGER NOT NULL DEFAULT 0,            -- retries accepted after the delay
    PRIMARY KEY (client_net, sender, recipient)
);

-- Every login attempt, for the administrator and for slowing down attackers.
CREATE TABLE auth_log (
    id INTEGER PRIMARY KEY,
    time INTEGER NOT NULL,
    remote_ip TEXT NOT NULL,
    service TEXT NOT NULL,                            -- imap, pop3, smtp, managesieve
    username TEXT NOT NULL,
    result TEXT NOT NULL                              -- ok, bad-password, unknown-user, tempfail...
);
CREATE INDEX auth_log_time ON auth_log(time);
