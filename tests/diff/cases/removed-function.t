#!/usr/bin/env bash
# the removed-function case of ../run-case (cases/removed-function/)
exec ../run-case removed-function
