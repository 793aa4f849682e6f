#!/usr/bin/env bash
# the renumbered-static-locals case of ../run-case (cases/renumbered-static-locals/)
exec "$(dirname "$0")/../run-case" renumbered-static-locals
