#!/usr/bin/env bash
# the removed-function case of ../run-case (cases/removed-function/)
exec "$(dirname "$0")/../run-case" removed-function
