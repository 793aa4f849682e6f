#!/usr/bin/env bash
# the lines-moved case of ../run-case (cases/lines-moved/)
exec "$(dirname "$0")/../run-case" lines-moved
