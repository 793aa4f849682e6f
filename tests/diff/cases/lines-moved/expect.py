# only line numbers moved: nothing to patch
nothing()
