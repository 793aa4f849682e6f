#!/usr/bin/env bash
# the no-plugin-FAIL case of ../run-case (cases/no-plugin-FAIL/)
exec "$(dirname "$0")/../run-case" no-plugin-FAIL
