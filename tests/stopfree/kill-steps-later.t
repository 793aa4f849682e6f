#!/usr/bin/env bash
# kill-steps.t for a later apply: the runtime and its agent are there (an apply and its
# rollback made them), the agent loads the patch (the rolled-back image reused) and switches.
KILL_LATER=1 exec "$(dirname "$0")/kill-steps.t"
