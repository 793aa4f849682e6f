#!/usr/bin/env bash
# the lines-moved case of ../run-case (cases/lines-moved/)
exec ../run-case lines-moved
