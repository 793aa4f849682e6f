# injector: polus-apply and polus-status (C; ptrace, libelf, capstone).
INJ_BASE_OBJS := $(patsubst %,$(BUILD)/obj/injector/%.o,procfs target test_kill) \
	$(BUILD)/obj/runtime/registry.o
INJ_APPLY_OBJS := $(patsubst %,$(BUILD)/obj/injector/%.o,apply_main ptrace_ctl remote_syscall \
	seccomp_eval loader symresolve ifunc_self patch_site placement remote_load registry_io \
	runtime_io update_lock thread_scan thread_frames undo_log proc_find patch_store multi_apply \
	multi_cli switch_method stopfree_apply dryrun session reuse data_apply track_apply track_cfi \
	track_state track_unwind) $(INJ_BASE_OBJS) \
	$(BUILD)/obj/versionfiles/versionfile.o $(COMMON_LIB)

$(BUILD)/polus-apply: $(INJ_APPLY_OBJS) | $(BUILD)/polus-rt.so
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_POLUS) -o $@ $^ -lelf -lcapstone -lyaml -lcrypto

$(BUILD)/polus-status: $(patsubst %,$(BUILD)/obj/injector/%.o,status_main multi_status proc_find track_state) \
	$(INJ_BASE_OBJS) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_POLUS) -o $@ $^ -lelf

tools: $(BUILD)/polus-apply $(BUILD)/polus-status
INSTALL_BIN += $(BUILD)/polus-apply $(BUILD)/polus-status

# Unit test of symresolve's IFUNC choice on a real process (tests/inject/symresolve.t).
$(BUILD)/obj/tests/unit/symresolve_test.o: CFLAGS_POLUS += -Iinjector
$(BUILD)/tests/symresolve-test: $(BUILD)/obj/tests/unit/symresolve_test.o \
	$(patsubst %,$(BUILD)/obj/injector/%.o,symresolve ifunc_self procfs test_kill) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_POLUS) -o $@ $^ -lelf
tools: $(BUILD)/tests/symresolve-test

# polus-rollback: the same process checks, stop and undo log as polus-apply.
INJ_ROLLBACK_OBJS := $(patsubst %,$(BUILD)/obj/injector/%.o,rollback_main rollback rollback_data session dryrun \
	ptrace_ctl thread_scan patch_site registry_io remote_load remote_syscall seccomp_eval \
	loader symresolve ifunc_self undo_log runtime_io update_lock placement track_state \
	stopfree_apply) $(INJ_BASE_OBJS) \
	$(BUILD)/obj/versionfiles/versionfile.o $(COMMON_LIB)
$(BUILD)/polus-rollback: $(INJ_ROLLBACK_OBJS) | $(BUILD)/polus-rt.so
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_POLUS) -o $@ $^ -lelf -lcapstone -lyaml
tools: $(BUILD)/polus-rollback
INSTALL_BIN += $(BUILD)/polus-rollback

# rs_fncall driven by hand on a fixture process (tests/txn/fncall.t).
$(BUILD)/obj/tests/unit/rs_probe.o: CFLAGS_POLUS += -Iinjector
$(BUILD)/tests/rs-probe: $(BUILD)/obj/tests/unit/rs_probe.o \
	$(patsubst %,$(BUILD)/obj/injector/%.o,remote_syscall ptrace_ctl procfs test_kill) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_POLUS) -o $@ $^
tools: $(BUILD)/tests/rs-probe
