#!/usr/bin/env bash
# the patch pipeline with patch mode played by stub-plugin.cc (see run-pipeline)
exec "$(dirname "$0")/run-pipeline" stub
