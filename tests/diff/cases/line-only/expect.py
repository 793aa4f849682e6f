# one inserted line shifts __LINE__ in checked (assert), logged and main: line-only, not in patches
for name in ("checked", "logged"):
    fn(name, "changed", ["line-only"])
    assert F[name].get("line_only") is True, F[name]
for f in F.values():
    assert f.get("line_only") is True, f
assert "before" not in F
