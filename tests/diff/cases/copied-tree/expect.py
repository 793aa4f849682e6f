# main.c and table.c were compiled in v1's tree, util.c in v2's: still one unit each
fn("report", "changed", ["body"])
only_functions("report")
assert not D["variables"], D["variables"]
