# tests/unit: C unit tests of pure modules, one program each, linked with just the
# objects under test (run by tests/unit/*.t, in the normal and the SAN=1 build).
UNIT_TESTS := $(patsubst %,$(BUILD)/tests/%,placement-test seccomp-test diff-test \
	switch-test)
UNIT_OBJ := $(BUILD)/obj/tests/unit
MKPATCH_OBJ := $(BUILD)/obj/gcc-plugin/mkpatch

$(UNIT_OBJ)/placement_test.o $(UNIT_OBJ)/seccomp_test.o $(UNIT_OBJ)/switch_test.o: \
	CFLAGS_POLUS += -Iinjector
$(UNIT_OBJ)/diff_test.o: CFLAGS_POLUS += -Igcc-plugin/mkpatch

$(BUILD)/tests/placement-test: $(UNIT_OBJ)/placement_test.o $(BUILD)/obj/injector/placement.o
$(BUILD)/tests/seccomp-test: $(UNIT_OBJ)/seccomp_test.o $(BUILD)/obj/injector/seccomp_eval.o
$(BUILD)/tests/switch-test: $(UNIT_OBJ)/switch_test.o \
	$(patsubst %,$(BUILD)/obj/injector/%.o,switch_method procfs)
$(BUILD)/tests/diff-test: $(UNIT_OBJ)/diff_test.o \
	$(patsubst %,$(MKPATCH_OBJ)/%.o,diff meta mkpatch_util) $(BUILD)/obj/common/errmsg.o
$(UNIT_TESTS):
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_POLUS) -pthread -o $@ $^
tools: $(UNIT_TESTS)
