#!/usr/bin/env bash
# the option-change-FAIL case of ../run-case (cases/option-change-FAIL/)
exec "$(dirname "$0")/../run-case" option-change-FAIL
