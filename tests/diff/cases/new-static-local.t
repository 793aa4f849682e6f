#!/usr/bin/env bash
# the new-static-local case of ../run-case (cases/new-static-local/)
exec "$(dirname "$0")/../run-case" new-static-local
