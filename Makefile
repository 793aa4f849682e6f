# polus — top-level build.
#
# Every component adds its targets in its own build.mk, so components can grow
# without touching this file. Everything is built into $(BUILD) (default build/).
#   make            build the plugin, the tools and the runtime
#   make SAN=1      the same C tools with AddressSanitizer + UBSan, into build/san
#   make check      build both, then run every test, one per core; ends "N passed, N failed"
#   make demo       live-update the example server under load (see README.md)
#   make deps       install the Debian 12 packages polus and its tests need (root)
#   make check-real the real-server corpus (tests/real); rewrites docs/real-corpus.md
#   make install PREFIX=/usr/local DESTDIR=

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= gcc
CXX     ?= g++

ifeq ($(SAN),1)
BUILD   ?= build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
BUILD   ?= build
SANFLAGS :=
endif

WARN     := -Wall -Wextra -Werror
CFLAGS_POLUS := -std=gnu11 -O2 -g $(WARN) $(SANFLAGS) -D_GNU_SOURCE -Icommon -Iversionfiles -Iruntime
LDFLAGS_POLUS := $(SANFLAGS)

DEPS_DEBIAN := gcc g++ make binutils gcc-12-plugin-dev libelf-dev libcapstone-dev libyaml-dev pkg-config python3 python3-yaml \
	libssl-dev man-db
# The real-server corpus (tests/real): fetching Debian sources, building dnsmasq,
# memcached, unbound and nginx as Debian does, and their clients (dig, curl).
DEPS_REAL := dpkg-dev patch bison flex nettle-dev libgmp-dev libevent-dev libsasl2-dev \
	libssl-dev libexpat1-dev libpcre2-dev zlib1g-dev bind9-dnsutils curl

.PHONY: all check check-real deps install demo clean format-check san
all: tools
.PHONY: tools
tools:

include common/build.mk
include versionfiles/build.mk
include gcc-plugin/plugin/build.mk
include gcc-plugin/mkpatch/build.mk
include runtime/build.mk
include injector/build.mk
include tools/build.mk
include examples/build.mk
include tests/unit/build.mk
include tests/track/build.mk

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_POLUS) -MMD -MP -c -o $@ $<

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

san:
	$(MAKE) SAN=1

# As many tests at a time as the machine has cores (CHECK_JOBS=N for another count).
# Everything the tests share is built first; the one cache they fill at run time (the
# injector's fixtures) is taken under a lock.
CHECK_JOBS ?= $(shell nproc)
check: all
	$(MAKE) SAN=1 tools
	tests/run -j$(CHECK_JOBS)

deps:
	apt-get update -qq && apt-get install -y -qq $(DEPS_DEBIAN) $(DEPS_REAL)

check-real: all
	tests/real/check-real

demo: all
	examples/demo.sh

# The tools, polus.so in $(PREFIX)/lib/polus, the man pages (docs/man) and bash
# completion (one file, linked under each tool's name for bash-completion's lazy loading).
COMPLETIONS := $(DESTDIR)$(PREFIX)/share/bash-completion/completions
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/polus \
		$(DESTDIR)$(PREFIX)/share/man/man1 $(COMPLETIONS)
	for f in $(INSTALL_BIN); do install -m 755 $$f $(DESTDIR)$(PREFIX)/bin/; done
	for f in $(INSTALL_LIB); do install -m 644 $$f $(DESTDIR)$(PREFIX)/lib/polus/; done
	install -m 644 docs/man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 completion/polus.bash $(COMPLETIONS)/polus
	for f in $(notdir $(INSTALL_BIN)); do ln -sf polus $(COMPLETIONS)/$$f; done

# The project's own sources; test fixtures and example releases are data whose line
# positions the tests depend on.
FORMAT_FILES = $(shell git ls-files 'gcc-plugin/*.c' 'gcc-plugin/*.cc' 'gcc-plugin/*.h' \
	'common/*.[ch]' 'injector/*.[ch]' 'runtime/*.[ch]' 'versionfiles/*.[ch]' 'examples/client/*.[ch]' 'tests/unit/*.[ch]' 'tools/*.[ch]' \
	'tests/track/*.[ch]')
format-check:
	clang-format --dry-run --Werror $(FORMAT_FILES)

clean:
	rm -rf build
