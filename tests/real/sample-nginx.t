#!/usr/bin/env bash
# nginx, nginx-fix-pidfile (src/core/nginx.c, src/os/unix/ngx_daemon.c): the fix goes live
# under curl load (sample.sh).
. "$POLUS_TOP/tests/lib.sh"
. ./sample.sh
sample nginx-02-nginx-fix-pidfile "applied: switched 2 (main, ngx_daemon),"
