# versionfiles: the YAML version file module, linked into mkpatch and the injector.
VF_OBJ := $(BUILD)/obj/versionfiles/versionfile.o
VF_LIBS := -lyaml

$(BUILD)/tests/vf-test: $(BUILD)/obj/tests/unit/vf_test.o $(VF_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_POLUS) -o $@ $^ $(VF_LIBS)
tools: $(BUILD)/tests/vf-test
