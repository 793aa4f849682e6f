#!/usr/bin/env bash
# the line-only case of ../run-case (cases/line-only/)
exec ../run-case line-only
