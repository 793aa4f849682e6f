#!/usr/bin/env bash
# the two-directories case of ../run-case (cases/two-directories/)
exec ../run-case two-directories
