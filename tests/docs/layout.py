#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The rules of docs/layout.md that a program can check:

- a writer (src/scrape/collect_*.c) calls no function another writer defines:
  what two writers share is read once in the snapshot (snapshot.c) or
  written by a library of theirs (owner_series.c);
- the snapshot writes no series (no expo__ call);
- a folder of src/ includes only its own headers and those of the folders
  below it: scrape -> kernel -> model -> config -> expo, http -> config ->
  expo, and everything may include src/ itself (log, util, grow) and the
  BPF ABI (bpf/records.h, generated skeletons).

    layout.py [ROOT]     (default: the repository this file is in)
"""
import glob
import os
import re
import sys

os.chdir(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", ".."))


def strip_comments(text):
    return re.sub(r'/\*.*?\*/|//[^\n]*', '', text, flags=re.S)


writers = sorted(glob.glob('src/scrape/collect_*.c'))
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
for m in re.finditer(r'\b(expo__\w+|owner_write_\w+|owner_open_info)\(',
                     strip_comments(open('src/scrape/snapshot.c').read())):
    print(f"src/scrape/snapshot.c: writes series ({m.group(1)})")
    bad += 1
# What each folder may include besides itself, src/ and bpf/.
BELOW = {
    'scrape': {'kernel', 'model', 'config', 'expo'},
    'kernel': {'model', 'config', 'expo'},
    'model': {'config', 'expo'},
    'config': {'expo'},
    'expo': set(),
    'http': {'config', 'expo'},
}
home = {}
for d in BELOW:
    for f in glob.glob(f'src/{d}/*.h'):
        home[os.path.basename(f)] = d
for f in glob.glob('src/*.h'):
    home[os.path.basename(f)] = ''
for f in sorted(glob.glob('src/*.[ch]') + glob.glob('src/*/*.[ch]')):
    folder = os.path.basename(os.path.dirname(f)) if os.path.dirname(f) != 'src' else ''
    if folder and folder not in BELOW:
        print(f"{f}: a folder docs/layout.md does not name")
        bad += 1
        continue
    for m in re.finditer(r'^\s*#\s*include\s*["<]([^">]+)[">]', open(f).read(), re.M):
        h = m.group(1)
        if os.path.basename(h) in home and h != os.path.basename(h):
            print(f"{f}: includes {h} by a path: headers go by their names")
            bad += 1
            continue
        if h not in home:
            continue  # libc, libbpf, bpf/ and generated skeletons
        d = home[h]
        allowed = {folder, ''} | (BELOW[folder] if folder else set())
        if d not in allowed:
            print(f"{f}: includes {h} of src/{d}/, which {folder or 'src/'} may not")
            bad += 1
print(f"{len(writers)} writers, {len(defined)} functions they define: "
      f"{'ok' if not bad else f'{bad} broken rule(s)'}")
sys.exit(1 if bad else 0)
