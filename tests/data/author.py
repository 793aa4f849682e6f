#!/usr/bin/env python3
"""tests/data: plays the patch's author on a generated sync file.
author.py FILE check|recover|recover-noop|recover-printf|fill PATTERN TEXT
  check          polus_check_pool: every slot names an owner 1..3, and used counts them
  recover        polus_recover_pool: frees slots with no owner, recounts used
  recover-noop   a recover that repairs nothing
  recover-printf a recover that calls printf (refused: it runs with threads held)
  fill P T       replaces the line holding the #error of field P with T
Keeps the file's polus-sync line, as an author editing it would."""
import re, sys

path, what = sys.argv[1], sys.argv[2]
s = open(path).read()

CHECK = r'''int polus_check_pool(struct polus_msg *m)
{
    int n = 0;
    for (long i0 = 0; i0 < 4; i0++) {
        if (NEW_slot(i0) < 0 || NEW_slot(i0) > 3) {
            polus_say(m, "pool.slot[");
            polus_say_num(m, i0);
            return polus_say(m, "] names no owner");
        }
        n += NEW_slot(i0) != 0;
    }
    if (n != NEW_used) {
        polus_say(m, "pool.used is ");
        polus_say_num(m, NEW_used);
        polus_say(m, " but ");
        polus_say_num(m, n);
        return polus_say(m, " slots are taken");
    }
    return 0;
}'''
RECOVER = {
    "recover": r'''int polus_recover_pool(struct polus_msg *m)
{
    int n = 0;
    (void)m;
    for (long i0 = 0; i0 < 4; i0++) {
        if (NEW_slot(i0) < 0 || NEW_slot(i0) > 3)
            NEW_slot(i0) = 0;
        n += NEW_slot(i0) != 0;
    }
    NEW_used = n;
    return 0;
}''',
    "recover-noop": r'''int polus_recover_pool(struct polus_msg *m)
{
    (void)m;
    return 0;
}''',
    "recover-printf": r'''int polus_recover_pool(struct polus_msg *m)
{
    (void)m;
    printf("repairing\n");
    return 0;
}''',
}


def replace_fn(text, name, body):
    pat = re.compile(r"int %s\(struct polus_msg \*m\)\n\{\n.*?\n\}" % name, re.S)
    new, n = pat.subn(lambda _: body, text)
    assert n == 1, name
    return new


if what == "check":
    s = replace_fn(s, "polus_check_pool", CHECK)
elif what in RECOVER:
    s = replace_fn(s, "polus_recover_pool", RECOVER[what])
    if what == "recover-printf":
        s = s.replace('#include "polus_recover.h"', '#include "polus_recover.h"\n#include <stdio.h>')
elif what == "fill":
    field, text = sys.argv[3], sys.argv[4]
    lines = s.split("\n")
    hit = [i for i, l in enumerate(lines) if "#error" in l and field in l]
    assert len(hit) == 1, hit
    lines[hit[0]] = "    " + text
    s = "\n".join(lines)
else:
    sys.exit("unknown: " + what)
open(path, "w").write(s)
