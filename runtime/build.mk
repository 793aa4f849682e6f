# runtime: the registry layout shared by the injector's tools (runtime/registry.c), and
# build/polus-rt.so, the code polus-apply loads into each target it patches (its own
# loader; freestanding: PIC, no libc call yet, hidden but for polus_rt_*, no stack
# protector, never sanitized: it runs in someone else's process).
RT_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -fPIC -ffreestanding -fno-builtin \
	-fno-stack-protector -fvisibility=hidden -fno-tree-loop-distribute-patterns -D_GNU_SOURCE \
	-Iruntime -Iversionfiles
RT_SRCS := runtime/rt_commit.c runtime/rt_trampoline.S runtime/rt_track.c runtime/rt_switch.c \
	runtime/rt_agent.c runtime/rt_stopfree.c

$(BUILD)/polus-rt.so: $(RT_SRCS) runtime/rt_abi.h runtime/rt_track.h runtime/rt_sys.h \
	versionfiles/track_format.h runtime/rt_switch.h runtime/rt_agent.h
	@mkdir -p $(dir $@)
	$(CC) $(RT_CFLAGS) -shared -nostdlib -Wl,-z,defs -Wl,--build-id -o $@ $(RT_SRCS)

tools: $(BUILD)/polus-rt.so
INSTALL_LIB += $(BUILD)/polus-rt.so

# tests/stopfree/rt-switch.t: runtime/rt_switch in-process, switching padded functions of
# the test program itself (built with the build profile's padding), also after endbr64.
# Code that runs in targets: no sanitizer, no stack protector.
RT_TEST_CFLAGS := -std=gnu11 -O2 -g $(WARN) -D_GNU_SOURCE -Iruntime -fno-stack-protector
RT_SWITCH_TESTS := $(BUILD)/tests/rt-switch-test $(BUILD)/tests/rt-switch-test-endbr
$(BUILD)/tests/rt-switch-test: RT_TEST_EXTRA :=
$(BUILD)/tests/rt-switch-test-endbr: RT_TEST_EXTRA := -fcf-protection=full
$(RT_SWITCH_TESTS): tests/stopfree/rt_switch_test.c runtime/rt_switch.c runtime/rt_switch.h runtime/rt_sys.h
	@mkdir -p $(dir $@)
	$(CC) $(RT_TEST_CFLAGS) -c -o $@.rt.o runtime/rt_switch.c
	$(CC) $(RT_TEST_CFLAGS) -pthread -flive-patching=inline-clone -fpatchable-function-entry=5,5 \
		$(RT_TEST_EXTRA) -o $@ tests/stopfree/rt_switch_test.c $@.rt.o
tools: $(RT_SWITCH_TESTS)

# tests/stopfree/rt-agent.t: runtime/rt_agent in-process.
$(BUILD)/tests/rt-agent-test: tests/stopfree/rt_agent_test.c runtime/rt_agent.c runtime/rt_agent.h runtime/rt_sys.h
	@mkdir -p $(dir $@)
	$(CC) $(RT_TEST_CFLAGS) -c -o $@.rt.o runtime/rt_agent.c
	$(CC) $(RT_TEST_CFLAGS) -o $@ tests/stopfree/rt_agent_test.c $@.rt.o
tools: $(BUILD)/tests/rt-agent-test

# polus_recover.h: the public header of a patch's sync/check/recover code; polus-mkpatch
# copies it into each patch's sync/ folder (found next to the binary, as polus.so is).
$(BUILD)/polus_recover.h: runtime/polus_recover.h
	@mkdir -p $(dir $@)
	cp $< $@
tools: $(BUILD)/polus_recover.h
INSTALL_LIB += $(BUILD)/polus_recover.h
