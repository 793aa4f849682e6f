# scale() is inlined into api(): api carries the old code and must be replaced too.
fn("scale", "changed", ["body"])
fn("api", "changed", ["inlined:scale"])
maybe("main", ["inlined:api", "inlined:scale"])
only_functions("scale", "api")
