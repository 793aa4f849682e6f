#!/usr/bin/env bash
# Part 2 of 4 of kill-steps.t (see there).
KILL_STEPS_PART=2 exec "$(dirname "$0")/kill-steps.t"
