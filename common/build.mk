# common: what several tools link (JSON output, ...). Every tool links COMMON_OBJS.
COMMON_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard common/*.c))
