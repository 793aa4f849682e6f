# gcc-plugin/mkpatch: polus-mkpatch, the patch constructor (mkpatch.c and its modules).
MKPATCH_SRCS := $(wildcard gcc-plugin/mkpatch/*.c)
MKPATCH_OBJS := $(MKPATCH_SRCS:%.c=$(BUILD)/obj/%.o)

$(BUILD)/polus-mkpatch: $(MKPATCH_OBJS) $(VF_OBJ) $(COMMON_LIB)
	$(CC) $(LDFLAGS_POLUS) -o $@ $^ -lelf -lyaml -lcapstone -lcrypto

tools: $(BUILD)/polus-mkpatch
INSTALL_BIN += $(BUILD)/polus-mkpatch
