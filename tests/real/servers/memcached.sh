# memcached: configure as Debian does (SASL, TLS) plus the password database and the
# proxy (the code of two fixes), build its vendored lua and mcmc, make memcached; run on a loopback port, 4 threads;
# the client speaks the text protocol over bash's /dev/tcp: set a key, read it back.
SRV_BIN=memcached
SRV_CLIENT="set + get of one key, text protocol over bash /dev/tcp"

srv_build() {
	real_flags
	./configure --enable-sasl --enable-sasl-pwdb --enable-tls --enable-proxy CFLAGS="$CFLAGS" CPPFLAGS="$CPPFLAGS" LDFLAGS="$LDFLAGS" &&
		make -C vendor && make -j"$REAL_JOBS" memcached
}

srv_start() {
	SRV_PORT=$(free_port)
	"$1" -U 0 -l 127.0.0.1 -p "$SRV_PORT" -u root -t 4 -m 16 >"$TMP/server.out" 2>&1 &
	SRV_PID=$!
	track_pid $SRV_PID
	wait_for 10 srv_request
}

srv_request() {
	local fd out
	exec {fd}<>"/dev/tcp/127.0.0.1/$SRV_PORT" || return 1
	printf 'set k%s 0 0 5\r\nhello\r\nget k%s\r\nquit\r\n' $$ $$ >&$fd
	out=$(timeout 5 cat <&$fd)
	exec {fd}>&-
	[ "$out" = $'STORED\r\nVALUE k'$$$' 0 5\r\nhello\r\nEND\r' ]
}
