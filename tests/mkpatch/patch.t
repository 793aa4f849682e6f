#!/usr/bin/env bash
# the patch pipeline with the plugin's own patch mode (see run-pipeline)
exec "$(dirname "$0")/run-pipeline" real
