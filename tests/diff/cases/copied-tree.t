#!/usr/bin/env bash
# the copied-tree case of ../run-case (cases/copied-tree/)
exec "$(dirname "$0")/../run-case" copied-tree
