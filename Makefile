# Tandem - build, run and test.
#   make          build build/tandemd and build/tandemctl
#   make run      start tandemd on SQLite in the foreground with a demo account
#   make check    unit + integration tests, C built with ASan+UBSan
#   make check-valgrind  the unit tests under valgrind (plain build)
#   make fuzz     run the libFuzzer targets for a bounded time (clang)
#   make bench    LMTP and IMAP benchmarks against Dovecot (tests/bench/)
#   make image    the appliance node image, build/image/root.img (image/README.md)
#   make check-ha the two-node appliance suite (tests/ha: make image, two UML guests)

BUILD ?= build
SAN ?=
PKGS := libevent libevent_pthreads libevent_openssl gmime-3.0 sqlite3 libpq libcrypt zlib openssl ldap

CC ?= cc
OPT ?= -O2
CFLAGS_BASE := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g $(OPT) -pthread
ifeq ($(SAN),1)
CFLAGS_BASE += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS_SAN := -fsanitize=address,undefined
endif
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
INCLUDES := -Idaemon/src -Idaemon/src/lib -Idaemon/src/storage -Idaemon/src/net -Idaemon/src/auth -Idaemon/src/imap -Idaemon/src/postfix -Idaemon/src/pop3 -Idaemon/src/sieve -Idaemon/src/managesieve -Idaemon/src/policy -I$(BUILD)
CFLAGS_ALL = $(CFLAGS_BASE) $(INCLUDES) $(PKG_CFLAGS) $(CFLAGS)
LIBS = $(LDFLAGS_SAN) $(PKG_LIBS) -pthread -lm

notest = $(foreach f,$(1),$(if $(filter test-% fuzz-%,$(notdir $(f))),,$(f)))
LIB_SRCS := $(call notest,$(wildcard daemon/src/lib/*.c daemon/src/storage/*.c \
	daemon/src/net/*.c daemon/src/lmtp/*.c daemon/src/auth/*.c daemon/src/imap/*.c \
	daemon/src/postfix/*.c daemon/src/pop3/*.c daemon/src/sieve/*.c \
	daemon/src/managesieve/*.c daemon/src/policy/*.c))
CTL_SRCS := $(call notest,$(wildcard daemon/tools/*.c))
TEST_SRCS := $(wildcard daemon/src/*/test-*.c daemon/tools/test-*.c)
FUZZ_SRCS := $(wildcard daemon/src/*/fuzz-*.c)
SCHEMA_SQL := $(wildcard schema/*/[0-9][0-9][0-9]-*.sql)

LIB_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS)) $(BUILD)/obj/schema-files.o
CTL_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(filter-out daemon/tools/tandemctl.c,$(CTL_SRCS)))
TESTS := $(patsubst daemon/%.c,$(BUILD)/tests/%,$(TEST_SRCS))
FUZZ_REPLAY := $(patsubst daemon/src/%.c,$(BUILD)/replay/%,$(FUZZ_SRCS))

.PHONY: all deps deps-quiet run check check-ha check-unit check-valgrind fuzz bench clean tests image
all: deps-quiet $(BUILD)/tandemd $(BUILD)/tandemctl

deps:
	@daemon/deps.sh
deps-quiet:
	@[ -n "$(NODEPS)" ] || daemon/deps.sh

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c -o $@ $<

$(BUILD)/schema-files.c: $(SCHEMA_SQL) daemon/gen-schema.sh
	@mkdir -p $(BUILD)
	daemon/gen-schema.sh schema > $@.tmp && mv $@.tmp $@
$(BUILD)/obj/schema-files.o: $(BUILD)/schema-files.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(BUILD)/libtandem.a: $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/tandemd: $(BUILD)/obj/daemon/src/tandemd.o $(BUILD)/libtandem.a
	$(CC) -o $@ $^ $(LIBS)

$(BUILD)/tandemctl: $(BUILD)/obj/daemon/tools/tandemctl.o $(CTL_OBJS) $(BUILD)/libtandem.a
	$(CC) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: daemon/%.c $(CTL_OBJS) $(BUILD)/libtandem.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Idaemon/tools -o $@ $< $(CTL_OBJS) $(BUILD)/libtandem.a $(LIBS) -lcmocka

# fuzz targets built with a plain main() that replays files: runs under gcc
$(BUILD)/replay/%: daemon/src/%.c tests/helpers/fuzz-replay.c $(BUILD)/libtandem.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< tests/helpers/fuzz-replay.c $(BUILD)/libtandem.a $(LIBS)

tests: all $(TESTS) $(FUZZ_REPLAY)

run: all
	@tests/helpers/make-run.sh $(BUILD)

# The whole suite runs on binaries built with ASan + UBSan.
check: deps
	@$(MAKE) --no-print-directory BUILD=build/asan SAN=1 OPT=-O1 NODEPS=1 tests
	@BUILD=build/asan tests/run-tests.sh

# The two-node appliance suite only: make image, two guests (tests/ha).
check-ha: deps
	@BUILD=build/asan tests/run-tests.sh ha

check-unit: deps
	@$(MAKE) --no-print-directory BUILD=build/asan SAN=1 OPT=-O1 NODEPS=1 tests
	@BUILD=build/asan tests/run-tests.sh unit

# The unit tests again, on the plain build, under valgrind's memcheck.
check-valgrind: deps
	@$(MAKE) --no-print-directory NODEPS=1 tests
	@command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
	@status=0; for t in $$(find $(BUILD)/tests -type f -name 'test-*' ! -name '*.log' -perm -u+x | sort); do \
		if valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
			--suppressions=tests/valgrind.supp $$t >$$t.valgrind.log 2>&1; \
		then echo "valgrind ok   $$t"; else echo "valgrind FAIL $$t (see $$t.valgrind.log)"; status=1; fi; \
	done; exit $$status

fuzz: deps
	@tests/helpers/fuzz.sh

bench: all
	@tests/bench/lmtp $(BENCH_ARGS)
	@tests/bench/imap $(BENCH_ARGS)
	@tests/bench/imap-idle

# The appliance node image (image/README.md): $(BUILD)/image/root.img from
# Debian packages (mmdebstrap, as root) with this tree's plain build inside.
image: deps-quiet $(BUILD)/tandemd $(BUILD)/tandemctl
	@[ -z "$(SAN)" ] || { echo "make image: takes the plain build, not SAN=1" >&2; exit 1; }
	image/build --bin $(BUILD) --out $(BUILD)/image $(IMAGE_ARGS)

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
