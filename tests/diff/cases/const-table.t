#!/usr/bin/env bash
# the const-table case of ../run-case (cases/const-table/)
exec ../run-case const-table
