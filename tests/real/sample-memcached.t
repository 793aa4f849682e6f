#!/usr/bin/env bash
# memcached, 0007-uninitialized-variables (logger.c): the fix goes live under load from a
# text-protocol client (sample.sh).
. "$POLUS_TOP/tests/lib.sh"
. ./sample.sh
sample memcached-06-uninitialized-variables "applied: switched 2 (_logger_parse_cce, _logger_parse_cne),"
