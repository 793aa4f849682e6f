#!/usr/bin/env bash
# kill-steps.t at the even steps of the first apply.
KILL_EVEN=1 exec "$(dirname "$0")/kill-steps.t"
