# tests/track: write tracking (runtime/rt_track.c, gcc-plugin/mkpatch/mkpatch_track.c).
# track-table prints and writes the store table of any binary; the in-process tests link
# the runtime module directly.
TRACK_OBJ := $(BUILD)/obj/tests/track
$(TRACK_OBJ)/track_table.o: CFLAGS_POLUS += -Igcc-plugin/mkpatch
$(BUILD)/tests/track-table: $(TRACK_OBJ)/track_table.o \
	$(patsubst %,$(BUILD)/obj/gcc-plugin/mkpatch/%.o,mkpatch_track mkpatch_run mkpatch_util meta) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_POLUS) -o $@ $^ -lelf -lcapstone
tools: $(BUILD)/tests/track-table

# rt-test: runtime/rt_track.c in-process against the old writers of fixtures/writers.c,
# built once at -O0 and once at -O2 (the store forms differ). Frame pointers let the test
# find its own return-address slots, as the injector does by unwinding.
$(BUILD)/obj/runtime/rt_track.o: CFLAGS_POLUS += -fno-stack-protector
$(TRACK_OBJ)/rt_test.o: CFLAGS_POLUS += -fno-omit-frame-pointer -Itests/track -Itests/unit
$(TRACK_OBJ)/writers-O0.o: tests/track/fixtures/writers.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_POLUS) -O0 -MMD -MP -c -o $@ $<
$(TRACK_OBJ)/writers-O2.o: tests/track/fixtures/writers.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_POLUS) -O2 -MMD -MP -c -o $@ $<
$(BUILD)/tests/track-rt-O%: $(TRACK_OBJ)/rt_test.o $(TRACK_OBJ)/writers-O%.o $(BUILD)/obj/runtime/rt_track.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_POLUS) -pthread -o $@ $^
tools: $(BUILD)/tests/track-rt-O0 $(BUILD)/tests/track-rt-O2

# rt_track built as polus-rt.so builds its modules (freestanding, no sanitizer: it runs in
# someone else's process): rt.t checks it imports nothing but the weak errno accessor.
RT_FREE_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -fPIC -ffreestanding -fno-builtin \
	-fno-stack-protector -fvisibility=hidden -fno-tree-loop-distribute-patterns -D_GNU_SOURCE \
	-Iruntime -Iversionfiles
$(BUILD)/tests/rt-track-free.so: runtime/rt_track.c runtime/rt_track.h runtime/rt_sys.h versionfiles/track_format.h
	@mkdir -p $(dir $@)
	$(CC) $(RT_FREE_CFLAGS) -shared -nostdlib -Wl,-z,defs -o $@ runtime/rt_track.c
tools: $(BUILD)/tests/rt-track-free.so
