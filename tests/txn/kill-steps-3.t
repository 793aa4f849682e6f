#!/usr/bin/env bash
# Part 3 of 4 of kill-steps.t (see there).
KILL_STEPS_PART=3 exec "$(dirname "$0")/kill-steps.t"
