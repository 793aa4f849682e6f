# gcc-plugin: targets are added here as the component grows.
include gcc-plugin/mkpatch.mk
