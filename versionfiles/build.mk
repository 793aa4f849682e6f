# versionfiles: the YAML version file module, linked into mkpatch and the injector, and
# the format headers every component includes (formats.h, *_format.h).
VF_OBJ := $(BUILD)/obj/versionfiles/versionfile.o
VF_LIBS := -lyaml

$(BUILD)/tests/vf-test: $(BUILD)/obj/tests/unit/vf_test.o $(VF_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_POLUS) -o $@ $^ $(VF_LIBS)
tools: $(BUILD)/tests/vf-test

# The metadata reader of polus-mkpatch against the key table of meta_format.h.
META_TEST_OBJS := $(BUILD)/obj/tests/unit/meta_test.o $(BUILD)/obj/gcc-plugin/mkpatch/meta.o \
	$(BUILD)/obj/gcc-plugin/mkpatch/mkpatch_util.o $(BUILD)/obj/common/errmsg.o
$(BUILD)/obj/tests/unit/meta_test.o: CFLAGS_POLUS += -Igcc-plugin/mkpatch
$(BUILD)/tests/meta-test: $(META_TEST_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_POLUS) -o $@ $^
tools: $(BUILD)/tests/meta-test
