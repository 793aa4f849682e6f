# calls.0 and calls.1 swap owners: matched by OWNER/NAME, nothing changed
nothing()
