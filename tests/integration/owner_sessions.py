#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""One thread reads two sessions of a pinned task_file iterator by turns.

    owner_sessions.py PIN MIN_FDS thread|session

The iterator remembers, per session, the task it described last, so a
task holding many objects is described once. Reading two sessions by
turns from one thread, 4 KiB at a time (the kernel runs the program only
for as much as a read asks), puts the turns inside the files of a process
holding MIN_FDS BPF files. Each stream must still describe a task before
its files, whichever way the memory is kept:
  thread   in the reading thread's task storage (kernels with
           bpf_rdonly_cast): the turns clobber it, so the holder is
           described more than once in each stream;
  session  keyed by session: each stream describes the holder once.
Exits 0 if every check holds, else prints what failed and exits 1.
"""
import struct
import sys

TASK, NAME, FD, END, PERF = 1, 2, 3, 4, 5
# bpf/records.h; a perf record (a perf event with a program) stands alone.
SIZES = {TASK: 40, NAME: 264, FD: 24, END: 16, PERF: 24}


def parse(stream):
    """(descriptions per tgid, set of (tgid, kind, id, fd)); raises on a bad stream."""
    described, files, at, current, ended = {}, set(), 0, None, False
    while at < len(stream):
        if ended:
            raise ValueError(f"records after the end record at {at}")
        (rec_type,) = struct.unpack_from("<I", stream, at)
        if rec_type not in SIZES or at + SIZES[rec_type] > len(stream):
            raise ValueError(f"bad record type {rec_type} at {at}")
        if rec_type == TASK:
            (current,) = struct.unpack_from("<I", stream, at + 4)
            described[current] = described.get(current, 0) + 1
        elif rec_type == FD:
            kind, oid, tgid, fd = struct.unpack_from("<IIII", stream, at + 4)
            if tgid != current:
                raise ValueError(f"fd {fd} of {tgid} follows a description of {current}")
            files.add((tgid, kind, oid, fd))
        elif rec_type == END:
            ended = True
        at += SIZES[rec_type]
    if not ended:
        raise ValueError("no end record")
    return described, files


def read_by_turns(pin, piece):
    streams, fds = [b"", b""], [open(pin, "rb", buffering=0) for _ in range(2)]
    live = [True, True]
    while any(live):
        for i in (0, 1):
            if live[i]:
                data = fds[i].read(piece)
                live[i] = bool(data)
                streams[i] += data
    for f in fds:
        f.close()
    return streams


def main():
    pin, min_fds, state = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if state not in ("thread", "session"):
        sys.exit(f"state {state}: want thread or session")
    with open(pin, "rb") as f:
        described, files = parse(f.read())
    per_task = {}
    for tgid, *_ in files:
        per_task[tgid] = per_task.get(tgid, 0) + 1
    big = [t for t, n in per_task.items() if n >= min_fds]
    errors = []
    if len(big) != 1:
        sys.exit(f"want one process with {min_fds}+ BPF files, found {len(big)}")
    holder = big[0]
    if described[holder] != 1:
        errors.append(f"a straight read described {holder} {described[holder]} times, want 1")
    want = {f for f in files if f[0] == holder}
    for i, stream in enumerate(read_by_turns(pin, 4096)):
        try:
            d, got = parse(stream)
        except ValueError as e:
            errors.append(f"session {i}: {e}")
            continue
        got = {f for f in got if f[0] == holder}
        if got != want:
            errors.append(f"session {i}: {len(got)} files of {holder}, want {len(want)}")
        # With the thread's memory, proof that the turns clobbered it.
        times = d.get(holder, 0)
        if (state == "thread" and times < 2) or (state == "session" and times != 1):
            want_times = "2+" if state == "thread" else "1"
            errors.append(f"session {i}: {holder} described {times} times, want {want_times}")
    for e in errors:
        print(e)
    print(f"{len(want)} files of {holder}, read straight and by turns")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
