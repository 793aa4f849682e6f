#!/usr/bin/env bash
# the constprop-clone case of ../run-case (cases/constprop-clone/)
exec "$(dirname "$0")/../run-case" constprop-clone
