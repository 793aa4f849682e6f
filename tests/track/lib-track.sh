# Shared setup of the tests that apply tests/data/stats's patch with write tracking (after
# tests/lib.sh): the two releases built with the plugin, p.so built from them, and
#   final_count WHAT   stops the program; its counter must equal its independent tally
. "$POLUS_TOP/tests/data/lib-data.sh" || exit 1
need_live
HERE=$POLUS_TOP/tests/data
cd "$TMP" || fail "cd"
build_main stats ""
"$MK" -q v1/prog v2/prog -o p.so 2> mk.err || fail "patch build: $(cat mk.err)"

final_count() {
	local final
	final=$(say stop)
	[[ $final =~ ^hits=([0-9]+)\ tally=([0-9]+)$ ]] || fail "$1: final line: $final"
	[ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] || fail "$1: counts differ: $final"
	ok "$1: every increment counted across the switch: $final"
	exec 3>&-
	wait "$pid" 2> /dev/null
}
