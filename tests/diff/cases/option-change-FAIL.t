#!/usr/bin/env bash
# the option-change-FAIL case of ../run-case (cases/option-change-FAIL/)
exec ../run-case option-change-FAIL
