#!/usr/bin/env bash
# the renumbered-static-locals case of ../run-case (cases/renumbered-static-locals/)
exec ../run-case renumbered-static-locals
