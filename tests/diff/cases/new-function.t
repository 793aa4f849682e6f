#!/usr/bin/env bash
# the new-function case of ../run-case (cases/new-function/)
exec "$(dirname "$0")/../run-case" new-function
