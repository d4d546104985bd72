#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Every relative link of the README, docs/ and the chart's README points at
a file that exists and, with a #fragment, at a heading of that file.

    links.py [ROOT]     (default: the repository this file is in)
"""
import glob
import os
import re
import sys

os.chdir(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", ".."))


def slug(h):
    h = h.strip().lower(); h = re.sub(r'[^\w\- ]', '', h); return h.replace(' ', '-')
anchors = {}
files = ['README.md'] + glob.glob('docs/*.md') + ['helm/bpfmap-exporter/README.md']
for f in files:
    anchors[f] = {slug(m.group(2)) for m in re.finditer(r'^(#{1,6}) (.*)$', open(f).read(), re.M)}
bad = 0
for f in files:
    text = open(f).read()
    # skip code blocks
    text = re.sub(r'```.*?```', '', text, flags=re.S)
    for m in re.finditer(r'\[([^\]]*)\]\(([^)\s]+)\)', text):
        t = m.group(2)
        if re.match(r'^(https?:|mailto:)', t): continue
        path, _, frag = t.partition('#')
        target = os.path.normpath(os.path.join(os.path.dirname(f), path)) if path else f
        if not os.path.exists(target):
            print(f'{f}: missing file {t}'); bad += 1; continue
        if frag and target.endswith('.md'):
            if target not in anchors:
                anchors[target] = {slug(mm.group(2)) for mm in re.finditer(r'^(#{1,6}) (.*)$', open(target).read(), re.M)}
            if frag not in anchors[target]:
                print(f'{f}: missing anchor {t}'); bad += 1
print(f'{len(files)} files, {bad} broken links')
sys.exit(1 if bad else 0)
