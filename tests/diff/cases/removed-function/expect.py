fn("added", "removed", [])
only_functions("added")
