#!/usr/bin/env bash
# the const-table case of ../run-case (cases/const-table/)
exec "$(dirname "$0")/../run-case" const-table
