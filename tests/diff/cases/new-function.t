#!/usr/bin/env bash
# the new-function case of ../run-case (cases/new-function/)
exec ../run-case new-function
