fn("count", "changed", ["body"])
var("count/total", "new")
assert "count/calls" not in V, V
assert "other" not in F
