# examples: the load generator, and the two releases of the example server.
#
# Each release is built out of tree: its sources are copied (mtimes kept) into
# $(BUILD)/examples/vN/ and built there by its own Makefile, the way a user builds a
# release. With $(BUILD)/polus.so present the build records metadata (-fplugin), so
# polus-mkpatch later finds v2's recorded sources and working directory in that copy.
EX_BUILD   := $(BUILD)/examples
EX_PLUGIN  := $(abspath $(BUILD)/polus.so)
EX_SERVERS := $(EX_BUILD)/v1/server $(EX_BUILD)/v2/server $(EX_BUILD)/v3/server

# `all` builds only the load generator: the releases are built by `make examples` (and
# `make demo`), so that a plugin under development cannot break everyone's `make`.
.PHONY: examples examples-force
all: $(EX_BUILD)/loadgen
examples: $(EX_BUILD)/loadgen $(EX_SERVERS)
demo: examples

$(EX_BUILD)/loadgen: $(BUILD)/obj/examples/client/loadgen.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_POLUS) -pthread -o $@ $^

# The release's own Makefile decides what is out of date; the plugin's size and mtime go
# into its flags stamp so a new plugin rebuilds the release.
# ex_release DIR,TARGET: copies release DIR into $(@D) and builds TARGET there.
define ex_release
	@mkdir -p $(@D)
	@cp -p $(1)/*.c $(1)/*.h $(1)/Makefile $(@D)/
	@+if [ -f $(EX_PLUGIN) ]; then \
		plug="-fplugin=$(EX_PLUGIN)"; stamp=$$(stat -c %s.%Y $(EX_PLUGIN)); \
	else plug=; stamp=; fi; \
	$(MAKE) --no-print-directory -C $(@D) CC="$(CC)" CFLAGS="-O2 -g $$plug" STAMP="$$stamp" $(2)
endef

$(EX_BUILD)/%/server: examples-force
	$(call ex_release,examples/server/$*,server)

# The multi-process examples (examples/mp: prefork and forkconn), two releases, built
# the same way into $(EX_BUILD)/mp/vN/.
EX_MP := $(EX_BUILD)/mp/v1/prefork $(EX_BUILD)/mp/v2/prefork
examples: $(EX_MP)

$(EX_BUILD)/mp/%/prefork: examples-force
	$(call ex_release,examples/mp/$*,all)

# examples/coexist: a release that changes its state's layout (docs/coexistence.md).
EX_CX := $(EX_BUILD)/coexist/v1/server $(EX_BUILD)/coexist/v2/server
examples: $(EX_CX)

$(EX_BUILD)/coexist/%/server: examples-force
	$(call ex_release,examples/coexist/$*,server)
