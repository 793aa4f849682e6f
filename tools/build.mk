# tools: polus-sign (seal, sign, verify patches: common/seal, libcrypto) and polus-release
# (the release pipeline's steps, a shell script over the other tools).
$(BUILD)/polus-sign: $(BUILD)/obj/tools/sign_main.o $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_POLUS) -o $@ $^ -lcrypto

tools: $(BUILD)/polus-sign
INSTALL_BIN += $(BUILD)/polus-sign

# The seal's unit test: every flipped byte of a patch refused (tests/ops/seal.t).
$(BUILD)/tests/seal-test: $(BUILD)/obj/tests/unit/seal_test.o $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_POLUS) -o $@ $^ -lcrypto
tools: $(BUILD)/tests/seal-test

# polus-release beside the other tools (it runs them from its own directory).
$(BUILD)/polus-release: tools/polus-release
	@mkdir -p $(dir $@)
	cp $< $@
tools: $(BUILD)/polus-release
INSTALL_BIN += $(BUILD)/polus-release
