# -O2 specializes work() for mode == 7 (work.constprop.0): its callers call the clone,
# which a jump at work's entry cannot redirect, so they are replaced with it.
clone = old_symbol_like("work.")
assert clone, "precondition: -O2 did not clone work() in v1 (no work.* symbol)"
fn("work", "changed", ["body"])
fn("first", "changed", ["calls-clone:" + clone])
fn("second", "changed", ["calls-clone:" + clone])
maybe("main", ["calls-clone:" + clone, "inlined:first", "inlined:second"])
only_functions("work", "first", "second")
