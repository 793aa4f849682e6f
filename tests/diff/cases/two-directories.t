#!/usr/bin/env bash
# the two-directories case of ../run-case (cases/two-directories/)
exec "$(dirname "$0")/../run-case" two-directories
