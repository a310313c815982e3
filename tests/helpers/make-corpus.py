#!/usr/bin/env python3
"""make-corpus.py - write a corpus of real-world-shaped messages for
round-trip tests (deliver, read back, compare byte for byte).

Usage: make-corpus.py DIR [--small]

One .eml file per message, named after what it exercises. Everything is
deterministic (fixed dates and ids, pseudo-random bytes from SHAKE-256), so
two runs write identical files. Lines end in CRLF except in the files whose
name says "lf". No message has a line that is exactly "." (LMTP would need
dot-stuffing for it); some lines start with "." to exercise dot-stuffing.
--small leaves out the 25 MB attachment. Standard library only; writes
nothing outside DIR.
"""

import base64
import hashlib
import os
import sys

CRLF = b"\r\n"
DATE = b"Date: Mon, 01 Jan 2024 12:00:00 +0000"


def lines(*parts):
    """Join lines with CRLF and end with CRLF."""
    return CRLF.join(p if isinstance(p, bytes) else p.encode("utf-8") for p in parts) + CRLF


def header(subject, msgid, extra=()):
    return [
        b"From: Alice Example <alice@example.org>",
        b"To: Bob Example <bob@example.test>",
        "Subject: " + subject if isinstance(subject, str) else b"Subject: " + subject,
        DATE,
        "Message-ID: <%s@corpus.example.org>" % msgid,
        b"MIME-Version: 1.0",
        *extra,
    ]


def pseudo_random(label, size):
    return hashlib.shake_256(b"tandem-corpus:" + label.encode()).digest(size)


def b64(data):
    """base64 in 76-column lines ending in CRLF (no final line break)."""
    return base64.encodebytes(data).replace(b"\n", CRLF).rstrip(CRLF)


def qp_text():
    return lines(
        "Caf=C3=A9 cr=C3=A8me br=C3=BBl=C3=A9e, na=C3=AFve fa=C3=A7ade.",
        "A soft line break joins this line =",
        "with the next one, and =3D is an equals sign.",
    ).rstrip(CRLF)


def mixed_with_attachment():
    pdf = pseudo_random("pdf", 40000)
    return lines(
        *header("Quarterly report", "mixed-1",
                [b'Content-Type: multipart/mixed; boundary="=_mixed_1"']),
        "",
        "This is a multi-part message in MIME format.",
        "--=_mixed_1",
        "Content-Type: text/plain; charset=us-ascii",
        "Content-Transfer-Encoding: 7bit",
        "",
        "Hello Bob,",
        "",
        "the report is attached.",
        ".hidden line starting with a dot",
        "..two dots",
        "",
        "Alice",
        "--=_mixed_1",
        'Content-Type: application/pdf; name="report.pdf"',
        "Content-Transfer-Encoding: base64",
        'Content-Disposition: attachment; filename="report.pdf"',
        "",
        b64(pdf),
        "--=_mixed_1--",
        "",
    )


def alternative():
    return lines(
        *header("Newsletter", "alt-1",
                [b'Content-Type: multipart/alternative; boundary="alt-boundary"']),
        "",
        "--alt-boundary",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
        "",
        qp_text(),
        "--alt-boundary",
        "Content-Type: text/html; charset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
        "",
        "<html><body><p>Caf=C3=A9 cr=C3=A8me br=C3=BBl=C3=A9e</p></body></html>",
        "--alt-boundary--",
    )


def nested_rfc822():
    inner = lines(
        b"From: Carol <carol@example.net>",
        b"To: Alice Example <alice@example.org>",
        b"Subject: Original message",
        b"Date: Sun, 31 Dec 2023 09:30:00 +0100",
        b"Message-ID: <inner-1@example.net>",
        b"MIME-Version: 1.0",
        b'Content-Type: multipart/mixed; boundary="inner"',
        b"",
        b"--inner",
        b"Content-Type: text/plain; charset=us-ascii",
        b"",
        b"The inner text.",
        b"--inner",
        b"Content-Type: application/octet-stream",
        b"Content-Transfer-Encoding: base64",
        b'Content-Disposition: attachment; filename="data.bin"',
        b"",
        b64(pseudo_random("inner-bin", 3000)),
        b"--inner--",
    ).rstrip(CRLF)
    return lines(
        *header("Fwd: Original message", "fwd-1",
                [b'Content-Type: multipart/mixed; boundary="outer"']),
        "",
        "--outer",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        "Forwarding this.",
        "--outer",
        "Content-Type: message/rfc822",
        'Content-Disposition: inline; filename="original.eml"',
        "",
        inner,
        "--outer--",
    )


def base64_and_qp():
    return lines(
        *header("Encodings", "enc-1", [b'Content-Type: multipart/mixed; boundary="enc"']),
        "",
        "--enc",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
        "",
        qp_text(),
        "--enc",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: base64",
        "",
        b64("Grüße aus München — base64 text.\r\n".encode("utf-8")),
        "--enc",
        "Content-Type: image/png",
        "Content-Transfer-Encoding: base64",
        "",
        b64(pseudo_random("png", 5000)),
        "--enc--",
    )


def eight_bit_body():
    return lines(
        *header("8-bit body", "8bit-1",
                [b"Content-Type: text/plain; charset=utf-8",
                 b"Content-Transfer-Encoding: 8bit"]),
        "",
        "Grüße, Zoë! Ça va? Ελληνικά, русский, 日本語, emoji 😀.",
        "Latin-1 byte that is not UTF-8 follows:",
        b"caf\xe9",
    )


def simple(sep):
    text = [
        b"From: Alice Example <alice@example.org>",
        b"To: bob@example.test",
        b"Subject: Plain message",
        DATE,
        b"Message-ID: <simple@corpus.example.org>",
        b"",
        b"Just some text.",
        b".a line with a leading dot",
        b"Bye.",
    ]
    return sep.join(text) + sep


def lf_multipart():
    return lines(
        *header("LF-only multipart", "lf-1", [b'Content-Type: multipart/mixed; boundary="lf"']),
        "",
        "--lf",
        "Content-Type: text/plain",
        "",
        "unix line ends",
        "--lf",
        "Content-Type: application/octet-stream",
        "Content-Transfer-Encoding: base64",
        "",
        b64(pseudo_random("lf", 1000)),
        "--lf--",
    ).replace(CRLF, b"\n")


def long_line():
    line = b"".join(b"%07d " % i for i in range(0, 40000))  # 320 KB, one line
    return lines(*header("A very long line", "long-1", [b"Content-Type: text/plain"]),
                 "", "before", line, "after")


def large_attachment():
    data = pseudo_random("25mb", 25 * 1024 * 1024)
    return lines(
        *header("25 MB attachment", "big-1", [b'Content-Type: multipart/mixed; boundary="big"']),
        "",
        "--big",
        "Content-Type: text/plain",
        "",
        "A large attachment follows.",
        "--big",
        'Content-Type: application/octet-stream; name="big.bin"',
        "Content-Transfer-Encoding: base64",
        'Content-Disposition: attachment; filename="big.bin"',
        "",
        b64(data),
        "--big--",
    )


def missing_boundary():
    return lines(
        *header("Malformed: no boundary parameter", "bad-1",
                [b"Content-Type: multipart/mixed"]),
        "",
        "--whatever",
        "Content-Type: text/plain",
        "",
        "the boundary parameter is missing",
        "--whatever--",
    )


def bad_base64():
    return lines(
        *header("Malformed: bad base64", "bad-2",
                [b'Content-Type: multipart/mixed; boundary="b64"']),
        "",
        "--b64",
        "Content-Type: application/octet-stream",
        "Content-Transfer-Encoding: base64",
        "",
        "This is !!! not base64 at all ***",
        "QUJD=====RE*F",
        "--b64--",
    )


def missing_final_boundary():
    return lines(
        *header("Malformed: missing final boundary", "bad-3",
                [b'Content-Type: multipart/mixed; boundary="nofinal"']),
        "",
        "--nofinal",
        "Content-Type: text/plain",
        "",
        "first part",
        "--nofinal",
        "Content-Type: text/plain",
        "",
        "second part, and the message just ends",
    )


def encoded_words():
    return lines(
        b"From: =?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <joerg@example.de>",
        b"To: =?ISO-8859-1?Q?Andr=E9?= <andre@example.fr>, Undisclosed:;",
        b"Subject: =?UTF-8?B?R3LDvMOfZSBhdXMgTcO8bmNoZW4=?=",
        b"Date: Mon, 01 Jan 2024 12:00:00 +0000",
        b"Message-ID: <ew-1@corpus.example.org>",
        b"MIME-Version: 1.0",
        b"Content-Type: text/plain; charset=utf-8",
        b"Content-Transfer-Encoding: quoted-printable",
        b"",
        b"Gr=C3=BC=C3=9Fe",
    )


def raw_utf8_headers():
    return lines(
        "From: Zoë Ünïcode <zoe@example.org>",
        "To: 田中 <tanaka@example.jp>",
        "Subject: Grüße — raw UTF-8 in the header",
        "Date: Mon, 01 Jan 2024 12:00:00 +0000",
        "Message-ID: <raw-1@corpus.example.org>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
        "",
        "Body in UTF-8: ☃",
    )


def two_identical_attachments():
    blob = b64(pseudo_random("twin", 20000))
    parts = []
    for name in ("first.bin", "second.bin"):
        parts += [
            "--twin",
            'Content-Type: application/octet-stream; name="%s"' % name,
            "Content-Transfer-Encoding: base64",
            'Content-Disposition: attachment; filename="%s"' % name,
            "",
            blob,
        ]
    return lines(
        *header("Two identical attachments", "twin-1",
                [b'Content-Type: multipart/mixed; boundary="twin"']),
        "",
        "--twin",
        "Content-Type: text/plain",
        "",
        "The same file twice.",
        *parts,
        "--twin--",
    )


MESSAGES = [
    ("multipart-mixed-attachment.eml", mixed_with_attachment),
    ("multipart-alternative-text-html.eml", alternative),
    ("nested-rfc822.eml", nested_rfc822),
    ("base64-and-quoted-printable.eml", base64_and_qp),
    ("8bit-body.eml", eight_bit_body),
    ("simple-crlf.eml", lambda: simple(CRLF)),
    ("simple-lf.eml", lambda: simple(b"\n")),
    ("multipart-lf.eml", lf_multipart),
    ("very-long-line.eml", long_line),
    ("attachment-25mb.eml", large_attachment),
    ("malformed-missing-boundary.eml", missing_boundary),
    ("malformed-bad-base64.eml", bad_base64),
    ("malformed-missing-final-boundary.eml", missing_final_boundary),
    ("headers-encoded-words.eml", encoded_words),
    ("headers-raw-utf8.eml", raw_utf8_headers),
    ("two-identical-attachments.eml", two_identical_attachments),
]


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    small = "--small" in argv[1:]
    if len(args) != 1:
        sys.stderr.write("usage: make-corpus.py DIR [--small]\n")
        return 2
    outdir = args[0]
    os.makedirs(outdir, exist_ok=True)
    count = 0
    for name, make in MESSAGES:
        if small and name == "attachment-25mb.eml":
            continue
        data = make()
        if any(line.rstrip(b"\r") == b"." for line in data.split(b"\n")):
            raise SystemExit("make-corpus: %s has a line that is only '.'" % name)
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(data)
        count += 1
    print("make-corpus: wrote %d messages to %s" % (count, outdir))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
