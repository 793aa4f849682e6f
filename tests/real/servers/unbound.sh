# unbound: configure (as Debian: libevent, subnet module, no LTO) && make unbound; run in
# the foreground with 2 threads on a loopback port, answering a local zone; the client is
# dig.
SRV_BIN=unbound
SRV_CLIENT="dig +short +tries=1 +time=3 @127.0.0.1 -p PORT a.test"

srv_build() {
	real_flags
	./configure --disable-flto --disable-shared --enable-subnet --with-libevent \
		--with-pidfile= CFLAGS="$CFLAGS" CPPFLAGS="$CPPFLAGS" LDFLAGS="$LDFLAGS" &&
		make -j"$REAL_JOBS" unbound
}

srv_start() {
	SRV_PORT=$(free_udp_port)
	cat >"$TMP/unbound.conf" <<CONF
server:
	interface: 127.0.0.1
	port: $SRV_PORT
	do-daemonize: no
	username: ""
	chroot: ""
	pidfile: ""
	directory: "$TMP"
	use-syslog: no
	num-threads: 2
	do-ip6: no
	module-config: "subnetcache validator iterator"
	local-zone: "test." static
	local-data: "a.test. A 10.1.2.3"
remote-control:
	control-enable: no
CONF
	"$1" -d -c "$TMP/unbound.conf" >"$TMP/server.out" 2>&1 &
	SRV_PID=$!
	track_pid $SRV_PID
	wait_for 10 srv_request
}

srv_request() {
	[ "$(dig +short +tries=1 +time=3 @127.0.0.1 -p "$SRV_PORT" a.test)" = 10.1.2.3 ]
}
