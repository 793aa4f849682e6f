# OLD built without the plugin: nothing to diff against
SAME=1
V1_PLUGIN=0
EXPECT_RC=1
EXPECT_ERR='built without the plugin .*rebuild with CFLAGS\+=-fplugin='
