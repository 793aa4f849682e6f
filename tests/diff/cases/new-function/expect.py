fn("added", "new", [])
only_functions("added")
