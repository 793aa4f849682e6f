#!/usr/bin/env bash
# the inline-helper case of ../run-case (cases/inline-helper/)
exec ../run-case inline-helper
