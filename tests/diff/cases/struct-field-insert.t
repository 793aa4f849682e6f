#!/usr/bin/env bash
# the struct-field-insert case of ../run-case (cases/struct-field-insert/)
exec "$(dirname "$0")/../run-case" struct-field-insert
