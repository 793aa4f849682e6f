# Sourced by the plugin's tests (not a test itself).
# alloc_dump OBJ: every SHF_ALLOC section's name and the md5 of its bytes, then the
# defined symbols. The build-id note is left out: ld computes it over the whole file,
# metadata included.
alloc_dump() {
	local obj=$1 sec
	for sec in $(readelf -SW "$obj" | awk '
		/^ *\[ *[0-9]+\]/ { sub(/^ *\[ *[0-9]+\] */, ""); if ($0 ~ /^NULL/) next;
		  name=$1; flags=$7; if (flags ~ /A/ && name != ".note.gnu.build-id") print name }'); do
		echo "== $sec"
		objcopy -O binary --only-section="$sec" --set-section-flags "$sec=alloc,load,contents" \
			"$obj" "$obj.sec.bin" 2>/dev/null && md5sum <"$obj.sec.bin"
		rm -f "$obj.sec.bin"
	done
	echo "== symbols"
	nm --defined-only "$obj" | grep -v ' [Nn] ' | sort
}
