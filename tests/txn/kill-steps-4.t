#!/usr/bin/env bash
# Part 4 of 4 of kill-steps.t (see there).
KILL_STEPS_PART=4 exec "$(dirname "$0")/kill-steps.t"
