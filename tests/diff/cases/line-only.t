#!/usr/bin/env bash
# the line-only case of ../run-case (cases/line-only/)
exec "$(dirname "$0")/../run-case" line-only
