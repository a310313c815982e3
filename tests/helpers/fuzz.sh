#!/usr/bin/env bash
# fuzz.sh - `make fuzz`: build every daemon/src/*/fuzz-*.c target with clang's
# libFuzzer (+ASan/UBSan) and run each for FUZZ_SECONDS (default 60), starting
# from its corpus in tests/fuzz-corpus/<name>/. New interesting inputs are
# kept in build/fuzz/<name>-corpus; crashes are written to build/fuzz/ and make
# the run fail. Copy inputs worth keeping into tests/fuzz-corpus/ by hand.
set -eu
cd "$(dirname "$0")/../.."
seconds=${FUZZ_SECONDS:-60}
out=build/fuzz
mkdir -p "$out"
pkgs="libevent libevent_pthreads libevent_openssl gmime-3.0 sqlite3 libpq libcrypt zlib openssl ldap"
# shellcheck disable=SC2046,SC2086
libsrcs=$(ls daemon/src/lib/*.c daemon/src/storage/*.c daemon/src/net/*.c daemon/src/lmtp/*.c daemon/src/imap/*.c \
	daemon/src/auth/*.c daemon/src/postfix/*.c daemon/src/pop3/*.c daemon/src/sieve/*.c daemon/src/managesieve/*.c daemon/src/policy/*.c 2>/dev/null | grep -v -e '/test-' -e '/fuzz-')
daemon/gen-schema.sh schema >"$out/schema-files.c"
status=0
for target in daemon/src/*/fuzz-*.c; do
	name=$(basename "$target" .c)
	corpus=tests/fuzz-corpus/${name#fuzz-}
	work="$out/${name#fuzz-}-corpus"
	mkdir -p "$work"
	echo "fuzz: building $name"
	# shellcheck disable=SC2086
	clang-14 -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
		-Idaemon/src -Idaemon/src/lib -Idaemon/src/storage -Idaemon/src/net -Idaemon/src/auth -Idaemon/src/imap -Idaemon/src/postfix -Idaemon/src/pop3 -Idaemon/src/sieve -Idaemon/src/managesieve -Idaemon/src/policy -I"$out" \
		$(pkg-config --cflags $pkgs) -o "$out/$name" "$target" $libsrcs "$out/schema-files.c" \
		$(pkg-config --libs $pkgs) -pthread
	echo "fuzz: running $name for ${seconds}s"
	if ! "$out/$name" -max_total_time="$seconds" -artifact_prefix="$out/$name-" \
		-max_len=65536 "$work" "$corpus" >"$out/$name.log" 2>&1; then
		echo "fuzz: $name FOUND A CRASH: see $out/$name.log and $out/$name-*"
		status=1
	else
		grep -E '^#[0-9]+.*(DONE|pulse)' "$out/$name.log" | tail -1 || true
	fi
done
exit $status
