# injector: polus-apply and polus-status (C; ptrace, libelf, capstone).
INJ_BASE_OBJS := $(patsubst %,$(BUILD)/obj/injector/%.o,procfs target) \
	$(BUILD)/obj/runtime/registry.o
INJ_APPLY_OBJS := $(patsubst %,$(BUILD)/obj/injector/%.o,apply_main ptrace_ctl remote_syscall \
	seccomp_eval loader symresolve patch_site placement remote_load registry_io thread_scan \
	undo_log) $(INJ_BASE_OBJS) \
	$(BUILD)/obj/versionfiles/versionfile.o $(COMMON_LIB)

$(BUILD)/polus-apply: $(INJ_APPLY_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_POLUS) -o $@ $^ -lelf -lcapstone -lyaml

$(BUILD)/polus-status: $(BUILD)/obj/injector/status_main.o $(INJ_BASE_OBJS) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_POLUS) -o $@ $^ -lelf

tools: $(BUILD)/polus-apply $(BUILD)/polus-status
INSTALL_BIN += $(BUILD)/polus-apply $(BUILD)/polus-status
