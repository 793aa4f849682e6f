#!/usr/bin/env bash
# the inline-helper case of ../run-case (cases/inline-helper/)
exec "$(dirname "$0")/../run-case" inline-helper
