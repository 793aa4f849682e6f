# runtime: the registry layout shared by the injector's tools (runtime/registry.c).
# libpolus-rt.so is added here once code of ours runs inside targets.
