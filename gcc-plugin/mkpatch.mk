# polus-mkpatch: the patch constructor (gcc-plugin/mkpatch.c and its modules).
MKPATCH_SRCS := gcc-plugin/mkpatch.c gcc-plugin/mkpatch_util.c gcc-plugin/meta.c \
	gcc-plugin/diff.c gcc-plugin/diff_out.c gcc-plugin/elfinfo.c gcc-plugin/mkpatch_patch.c \
	gcc-plugin/mkpatch_plan.c gcc-plugin/mkpatch_run.c gcc-plugin/mkpatch_chain.c \
	gcc-plugin/mkpatch_site.c
MKPATCH_OBJS := $(MKPATCH_SRCS:%.c=$(BUILD)/obj/%.o)

$(BUILD)/polus-mkpatch: $(MKPATCH_OBJS) $(VF_OBJ)
	$(CC) $(LDFLAGS_POLUS) -o $@ $^ -lelf -lyaml -lcapstone

tools: $(BUILD)/polus-mkpatch
INSTALL_BIN += $(BUILD)/polus-mkpatch
