#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Pin the iterator links a running exporter holds, to read them as it does.

    iter_links.py PID DIR PREFIX     (as root; prints "TARGET PATH" lines)

Reading a pinned iterator link starts a session of the very program the
exporter loaded (the variant its kernel got), which a pin of a .bpf.o by
bpftool cannot promise: bpftool loads every program of an object and pins
the first. The links are found in the process's fdinfo. Standard library
and bpftool only.
"""
import os
import subprocess
import sys


def iterator_links(pid):
    """{target name: link id} of the iterator links process pid holds."""
    links = {}
    fdinfo = f"/proc/{pid}/fdinfo"
    for fd in os.listdir(fdinfo):
        try:
            with open(f"{fdinfo}/{fd}") as f:
                info = dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
        except OSError:
            continue  # closed meanwhile
        if info.get("link_type") == "iter" and "target_name" in info:
            links[info["target_name"]] = int(info["link_id"])
    return links


def pin(pid, directory, prefix):
    """Pin each iterator link of pid as DIR/PREFIX_TARGET: {target: path}."""
    paths = {}
    for target, link_id in sorted(iterator_links(pid).items()):
        path = os.path.join(directory, f"{prefix}_{target}")
        subprocess.run(["bpftool", "link", "pin", "id", str(link_id), path], check=True)
        paths[target] = path
    return paths


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    for target, path in pin(int(sys.argv[1]), sys.argv[2], sys.argv[3]).items():
        print(target, path)
