# NEW built at -O1: generated code of unchanged callers differs, refuse
SAME=1
V2_CFLAGS="-O1"
EXPECT_RC=2
EXPECT_ERR='option -O differs: OLD has -O2, NEW has -O1'
