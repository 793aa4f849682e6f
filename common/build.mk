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
