#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Churn: scrape in a loop while maps, programs and holders come and go.

    churn.py BIN CHURN [SECONDS]    (as root; SECONDS defaults to 30)

CHURN (tests/integration/churn.c) logs every object's birth and death on
CLOCK_MONOTONIC, the clock time.monotonic_ns() reads here. Afterwards every
scrape is checked: it answered 200, and each churn object it showed was
alive at some point while the scrape ran (no stale series). The exporter's
open fds and RSS, read from its own process_* series, must stay flat.

GRACE: a map used by a program is freed by the kernel after an RCU grace
period once the program goes, not when we close our fd; objects are also
logged just after the syscall returns. A second absorbs both.
"""
import os
import re
import subprocess
import sys
import threading
import time

if len(sys.argv) not in (3, 4):
    sys.exit("usage: churn.py BIN CHURN [SECONDS]")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "lib"))
from http_response import free_port, http_get  # noqa: E402
BIN, CHURN = (os.path.realpath(p) for p in sys.argv[1:3])
SECONDS = int(sys.argv[3]) if len(sys.argv) == 4 else 30
GRACE_NS = 1_000_000_000
PREFIX = "c" + os.urandom(3).hex()[:5]
with open(BIN, "rb") as f:
    SANITIZED = b"__asan_init" in f.read()
PASSED = FAILED = 0


def report(ok, desc, detail=""):
    global PASSED, FAILED
    PASSED, FAILED = (PASSED + 1, FAILED) if ok else (PASSED, FAILED + 1)
    print(("ok - " if ok else "not ok - ") + desc + ("" if ok else f": {detail}"), flush=True)


def get(port):
    status, body = http_get(port, timeout=10)  # ValueError if cut short: a failed scrape
    return status, body.decode()


SERIES = re.compile(r'^(ebpf_map_max_entries|ebpf_prog_info)\{id="(\d+)",name="([^"]*)"', re.M)
VALUE = re.compile(r"^(process_open_fds|process_resident_memory_bytes) (\S+)$", re.M)


def main():
    port = free_port()
    exporter = subprocess.Popen([BIN, f"--web.listen-address=127.0.0.1:{port}"],
                                stderr=subprocess.PIPE, text=True)
    churn = None
    try:
        for _ in range(100):
            try:
                if get(port)[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            report(False, "exporter starts", exporter.stderr.read(2000) if exporter.poll() else "")
            return

        events = {"map": {}, "prog": {}}  # kind -> id -> [born, dead]
        churn = subprocess.Popen([CHURN, PREFIX, str(SECONDS)], stdout=subprocess.PIPE, text=True)
        done = []

        def read_events():
            for line in churn.stdout:
                f = line.split()
                if f[0] in "+-":
                    life = events[f[1]].setdefault(int(f[2]), [None, None])
                    life[0 if f[0] == "+" else 1] = int(f[3])
                elif f[0] == "done":
                    done.append(int(f[1]))

        reader = threading.Thread(target=read_events)
        reader.start()
        scrapes, failures = [], []
        while churn.poll() is None:
            t0 = time.monotonic_ns()
            try:
                code, body = get(port)
            except OSError as e:
                code, body = None, str(e)
            t1 = time.monotonic_ns()
            if code != 200:
                failures.append((code, body[:200]))
                continue
            scrapes.append((t0, t1, SERIES.findall(body), dict(VALUE.findall(body))))
            time.sleep(0.05)
        reader.join()

        report(not failures and exporter.poll() is None,
               f"{len(scrapes)} scrapes during {SECONDS} s of churn, all 200", failures[:3])
        created = done[0] if done else 0
        report(created >= 50 * SECONDS, f"churn created {created} maps (+ a program for every third)")

        stale, seen = [], set()
        for t0, t1, series, _ in scrapes:
            for family, id_, name in series:
                kind = "map" if family == "ebpf_map_max_entries" else "prog"
                if name != PREFIX + ("_c" if kind == "map" else "_cp"):
                    continue
                born, dead = events[kind].get(int(id_), [None, None])
                seen.add((kind, id_))
                if born is None or born - GRACE_NS > t1 or (dead and dead + GRACE_NS < t0):
                    stale.append(f"{kind} {id_} (born {born}, dead {dead}, scrape {t0}-{t1})")
        report(not stale, f"no stale series ({len(seen)} churn objects seen)", stale[:3])
        report(len(seen) > 100, f"scrapes saw churn objects ({len(seen)})")

        # Flat resources: the 5th scrape (warm) against the last.
        first, last = scrapes[min(4, len(scrapes) - 1)][3], scrapes[-1][3]
        fds = (int(first["process_open_fds"]), int(last["process_open_fds"]))
        rss = (float(first["process_resident_memory_bytes"]),
               float(last["process_resident_memory_bytes"]))
        # A leak over hundreds of scrapes would show as hundreds of fds; one or
        # two may be a connection the server is still closing when sampled.
        report(fds[1] <= fds[0] + 2, f"open fds flat ({fds[0]} -> {fds[1]})", fds)
        if SANITIZED:
            # ASan holds freed memory in quarantine on purpose; its leak check at
            # exit (and the valgrind suite) cover this build instead.
            print(f"# SKIP RSS check on a sanitizer build ({rss[0]:.0f} -> {rss[1]:.0f} bytes)")
        else:
            report(rss[1] - rss[0] < 4 << 20, f"RSS flat ({rss[0]:.0f} -> {rss[1]:.0f} bytes)", rss)
    finally:
        if churn and churn.poll() is None:
            churn.kill()
        exporter.terminate()
        try:
            rc = exporter.wait(timeout=5)
        except subprocess.TimeoutExpired:
            exporter.kill()
            rc = "timeout"
        err = exporter.stderr.read()
        report(rc == 0, f"exporter exits 0 ({rc})", err[-500:])


main()
print(f"{PASSED} passed, {FAILED} failed")
sys.exit(1 if FAILED else 0)
