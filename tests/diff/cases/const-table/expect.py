# the table's value changed: its reader must be replaced (it reads the old table)
fn("lookup", "changed", ["const:table"])
var("table", "changed")
assert "unrelated" not in F
