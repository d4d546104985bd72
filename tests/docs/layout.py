#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The rules of docs/layout.md that a program can check:

- a writer (src/collect_*.c) calls no function another writer defines:
  what two writers share is read once in the snapshot (snapshot.c) or
  written by a library of theirs (owner_series.c);
- the snapshot writes no series (no expo__ call).

    layout.py [ROOT]     (default: the repository this file is in)
"""
import glob
import os
import re
import sys

os.chdir(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", ".."))


def strip_comments(text):
    return re.sub(r'/\*.*?\*/|//[^\n]*', '', text, flags=re.S)


writers = sorted(glob.glob('src/collect_*.c'))
defined = {}
for f in writers:
    for m in re.finditer(r'^(?!static\b)[a-z][\w \*]*?\b(\w+)\(', strip_comments(open(f).read()), re.M):
        defined[m.group(1)] = f
bad = 0
for f in writers:
    text = strip_comments(open(f).read())
    for name, home in sorted(defined.items()):
        if home != f and re.search(r'\b%s\(' % name, text):
            print(f"{f}: calls {name}() of the writer {home}")
            bad += 1
for m in re.finditer(r'\bexpo__\w+', strip_comments(open('src/snapshot.c').read())):
    print(f"src/snapshot.c: writes series ({m.group(0)})")
    bad += 1
print(f"{len(writers)} writers, {len(defined)} functions they define: "
      f"{'ok' if not bad else f'{bad} broken rule(s)'}")
sys.exit(1 if bad else 0)
