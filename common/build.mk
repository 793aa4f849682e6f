# common: what several tools link (ELF reading, the patch-site rule, error messages, JSON
# output, the exit-code table). An archive, so each tool pulls in only the modules it uses (and needs
# only their libraries: elffile -lelf, site_rules -lcapstone).
COMMON_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard common/*.c))
COMMON_LIB := $(BUILD)/libpolus-common.a

$(COMMON_LIB): $(COMMON_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

# Unit tests of the site rule and the ELF reader (tests/common/*.t run them).
$(BUILD)/tests/site-test: $(BUILD)/obj/tests/unit/site_test.o $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_POLUS) -o $@ $^ -lcapstone
$(BUILD)/tests/elf-test: $(BUILD)/obj/tests/unit/elf_test.o $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_POLUS) -o $@ $^ -lelf
tools: $(BUILD)/tests/site-test $(BUILD)/tests/elf-test

# The version every tool and the plugin report (common/version.h): VERSION, plus the git
# commit when built from a checkout, and the GCC the plugin is built for. The header is
# rewritten only when that text changes, so an unchanged tree rebuilds nothing.
POLUS_VERSION := $(shell cat VERSION)$(shell git rev-parse --short HEAD >/dev/null 2>&1 && \
	git describe --always --dirty --abbrev=7 --match 'no-tags' 2>/dev/null | sed 's/^/+g/')
POLUS_GCC_VERSION := $(shell $(CC) -dumpfullversion 2>/dev/null)
POLUS_VERSION_H := $(BUILD)/gen/polus_version.h
POLUS_VERSION_TEXT := \#define POLUS_VERSION "$(POLUS_VERSION)"\n\#define POLUS_GCC_VERSION "$(POLUS_GCC_VERSION)"
$(shell mkdir -p $(BUILD)/gen && printf '$(POLUS_VERSION_TEXT)\n' | cmp -s - $(POLUS_VERSION_H) || \
	printf '$(POLUS_VERSION_TEXT)\n' >$(POLUS_VERSION_H))
$(BUILD)/obj/common/version.o: CFLAGS_POLUS += -I$(BUILD)/gen
$(BUILD)/obj/common/version.o: $(POLUS_VERSION_H)
