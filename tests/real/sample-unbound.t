#!/usr/bin/env bash
# unbound, fix-823 (validator/val_neg.c: a NODATA answer for some negative cache entries):
# the fix goes live under dig load (sample.sh).
. "$POLUS_TOP/tests/lib.sh"
. ./sample.sh
sample unbound-05-fix-823-Response-change-to-NODATA-for-so "applied: switched 1 (val_neg_getmsg),"
