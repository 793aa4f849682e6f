# nginx: its configure with the modules the patched files belong to, make; run in the
# foreground as one process (master_process off) on a loopback port; the client is curl.
SRV_BIN=objs/nginx
SRV_CLIENT="curl -sf --max-time 5 http://127.0.0.1:PORT/"

srv_build() {
	real_flags
	./configure --with-cc-opt="$CFLAGS $CPPFLAGS" --with-ld-opt="$LDFLAGS" \
		--with-http_ssl_module --with-http_v2_module --with-http_mp4_module \
		--with-http_dav_module --with-mail --with-mail_ssl_module --with-stream \
		--with-stream_ssl_module &&
		make -j"$REAL_JOBS" -f objs/Makefile binary
}

srv_start() {
	SRV_PORT=$(free_port)
	mkdir -p "$TMP/nginx/logs" "$TMP/nginx/html"
	echo hello >"$TMP/nginx/html/index.html"
	cat >"$TMP/nginx/nginx.conf" <<CONF
daemon off;
master_process off;
error_log stderr;
pid $TMP/nginx/nginx.pid;
events { worker_connections 256; }
http {
	access_log off;
	server {
		listen 127.0.0.1:$SRV_PORT;
		root $TMP/nginx/html;
		location /ssi { ssi on; }
	}
}
CONF
	"$1" -p "$TMP/nginx" -e stderr -c "$TMP/nginx/nginx.conf" >"$TMP/server.out" 2>&1 &
	SRV_PID=$!
	track_pid $SRV_PID
	wait_for 10 srv_request
}

srv_request() {
	[ "$(curl -sf --max-time 5 "http://127.0.0.1:$SRV_PORT/")" = hello ]
}
