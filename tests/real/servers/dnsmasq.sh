# dnsmasq: its own Makefile (DNSSEC compiled in, as Debian builds it); run in the
# foreground on a loopback port answering a local name; the client is dig.
SRV_BIN=src/dnsmasq
SRV_CLIENT="dig +short +tries=1 +time=3 @127.0.0.1 -p PORT a.test"

srv_build() {
	real_flags
	make -j"$REAL_JOBS" COPTS=-DHAVE_DNSSEC CFLAGS="$CFLAGS $CPPFLAGS" \
		LDFLAGS="$LDFLAGS" all
}

srv_start() {
	SRV_PORT=$(free_udp_port)
	"$1" -k --conf-file=/dev/null --no-resolv --no-hosts --user=root --pid-file= \
		--listen-address=127.0.0.1 --bind-interfaces --port="$SRV_PORT" \
		--address=/a.test/10.1.2.3 --log-facility=- >"$TMP/server.out" 2>&1 &
	SRV_PID=$!
	track_pid $SRV_PID
	wait_for 10 srv_request
}

srv_request() {
	[ "$(dig +short +tries=1 +time=3 @127.0.0.1 -p "$SRV_PORT" a.test)" = 10.1.2.3 ]
}
