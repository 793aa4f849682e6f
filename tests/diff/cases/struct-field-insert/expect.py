# a field inserted after fd: len moved (get_len changes), fd did not (get_fd does not).
# main's initializer {3, 4} now fills fd and flags: a body change of its own.
fn("get_len", "changed", ["layout:conn"])
assert "get_fd" not in F, F.get("get_fd")
typ("conn", "changed")
