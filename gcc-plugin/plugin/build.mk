# gcc-plugin/plugin: polus.so (record and patch mode). C-style C++ against GCC's plugin headers;
# not built in SAN=1 builds (it runs inside cc1, which is not sanitized).
ifneq ($(SAN),1)
GCC_PLUGIN_DIR := $(shell $(CC) -print-file-name=plugin)
POLUS_PLUGIN_SRCS := $(wildcard gcc-plugin/plugin/polus*.cc)
POLUS_PLUGIN_OBJS := $(patsubst %.cc,$(BUILD)/obj/%.o,$(POLUS_PLUGIN_SRCS))
POLUS_PLUGIN_CXXFLAGS := -shared -fPIC -fno-rtti -fno-exceptions -O2 -g $(WARN) \
	-Wno-unused-parameter -I$(GCC_PLUGIN_DIR)/include -Iversionfiles -I$(BUILD)/gen

# -Iversionfiles: the shared format headers (plain C, no GCC headers of their own).
$(BUILD)/obj/gcc-plugin/plugin/%.o: gcc-plugin/plugin/%.cc gcc-plugin/plugin/polus.h \
		gcc-plugin/plugin/polus-common.h $(wildcard versionfiles/*_format.h) \
		versionfiles/formats.h
	@mkdir -p $(dir $@)
	$(CXX) $(POLUS_PLUGIN_CXXFLAGS) -c -o $@ $<

# the version it reports (common/build.mk writes the header)
$(BUILD)/obj/gcc-plugin/plugin/polus-plugin.o: $(POLUS_VERSION_H)

# Linked aside and renamed: compilers running meanwhile never load a half-written file.
$(BUILD)/polus.so: $(POLUS_PLUGIN_OBJS)
	$(CXX) -shared -fPIC -o $@.tmp $^ && mv -f $@.tmp $@

all: $(BUILD)/polus.so
INSTALL_LIB += $(BUILD)/polus.so
endif

