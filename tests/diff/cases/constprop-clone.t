#!/usr/bin/env bash
# the constprop-clone case of ../run-case (cases/constprop-clone/)
exec ../run-case constprop-clone
