#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Benchmark: the exporter against the kernel's floor and against bpftool.

    bench.py BIN OBJECTS [--sizes 1000,10000,50000] [--progs-per-map 0.1]
             [--rounds 20] [--smoke]     (as root)

For each size N it creates N maps and N*progs-per-map programs held by at
least four processes in cgroups of their own (tests/bench/objects.c), then measures in
one run, interleaved round by round so machine noise hits all alike:
  scrape   a full HTTP scrape of the exporter (median and p99),
  raw      reading the exporter's own iterator links, pinned in bpffs (the floor),
  bpftool  `bpftool map show -j` plus `bpftool prog show -j`,
and reports the ratios, the exporter's RSS (idle: after start-up and one
scrape, before the objects exist; after the timed scrapes, and how much it
grew since the first of them; its peak while it scrapes the objects), the
kernel build, CPU time per scrape, CPU used while nobody scrapes,
response size with and without gzip, and whether 10 concurrent scrapers are
all served (and the RSS they leave, and their peak). Machines are noisy:
only ratios from one run are meaningful. --smoke runs one small size and checks that every
created map shows up; that is all `make test` asks of it.
"""
import argparse
import gzip
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time

ap = argparse.ArgumentParser()
ap.add_argument("bin")
ap.add_argument("objects")
ap.add_argument("--sizes", default="1000,10000,50000")
ap.add_argument("--progs-per-map", type=float, default=0.1)
ap.add_argument("--rounds", type=int, default=20)
ap.add_argument("--smoke", action="store_true")
ap.add_argument("--config", help="the exporter's --config.file (e.g. programs.run_stats)")
args = ap.parse_args()
sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "lib"))
from http_response import free_port, http_get  # noqa: E402
import iter_links  # noqa: E402
BPFFS = "/sys/fs/bpf"
PREFIX = "b" + os.urandom(2).hex()


def cgroup2_root():
    for line in open("/proc/self/mounts"):
        dev, path, fstype = line.split()[:3]
        if fstype == "cgroup2":
            return path
    return None


# The timed scrapes read into one reused buffer, as a scraper streams the
# body into its parser: joining and copying 6 MB in Python costs more than
# the exporter takes to write it, and would be measured as the exporter's.
SCRAPE_BUF = memoryview(bytearray(256 << 20))
LAST_SCRAPE_BYTES = 0


def http_scrape(port):
    """One full scrape, its bytes read and dropped; the status code, or 0
    if the body did not end as its framing says (a scrape cut short)."""
    req = b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    n = 0
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.sendall(req)
        while True:
            k = s.recv_into(SCRAPE_BUF[n:])
            if not k:
                break
            n += k
    global LAST_SCRAPE_BYTES
    LAST_SCRAPE_BYTES = n
    head = bytes(SCRAPE_BUF[:min(n, 4096)]).split(b"\r\n\r\n", 1)[0].lower()
    if b"transfer-encoding: chunked" in head and bytes(SCRAPE_BUF[n - 5:n]) != b"0\r\n\r\n":
        return 0
    return int(bytes(SCRAPE_BUF[9:12]))


DURATION = re.compile(rb'^bpfmap_exporter_scrape_collector_duration_seconds\{collector="(\w+)"\} (\S+)$',
                      re.M)


def collector_seconds(n):
    """Each collector's duration in the scrape just read into SCRAPE_BUF (n bytes)."""
    tail = bytes(SCRAPE_BUF[max(0, n - (64 << 10)):n])  # the exporter's own series come last
    return {m.group(1).decode(): float(m.group(2)) for m in DURATION.finditer(tail)}


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def cpu_split(pid):
    """(user, system) CPU seconds of a process so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tck = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tck, int(fields[12]) / tck


def cpu_seconds(pid):
    return sum(cpu_split(pid))


def own_cpu():
    """(user, system) CPU seconds of this process so far."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime, r.ru_stime


def status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def read_all(path):
    with open(path, "rb") as f:
        while f.read(1 << 20):
            pass


def start_exporter():
    """The exporter, after start-up and its first scrape: (process, port)."""
    port = free_port()
    exporter = subprocess.Popen([args.bin, f"--web.listen-address=127.0.0.1:{port}",
                                 "--log.level=warn"] +
                                ([f"--config.file={args.config}"] if args.config else []))
    for _ in range(100):
        try:
            if http_get(port)[0] == 200:
                return exporter, port
        except OSError:
            time.sleep(0.1)
    exporter.terminate()
    exporter.wait()
    sys.exit("the exporter did not answer a scrape")


def run_size(n_maps):
    n_progs = max(1, int(n_maps * args.progs_per_map))
    cg = cgroup2_root()
    # Idle: started and scraped once, before the bench's objects exist.
    exporter, port = start_exporter()
    # At least four holders, and no more than 10,000 objects each (fd limits).
    holders = max(4, -(-(n_maps + n_progs) // 10000))
    objects = None
    pins = []
    try:
        idle_rss = status_kib(exporter.pid, "VmRSS")
        # From here VmHWM is the peak while scraping, not start-up's.
        with open(f"/proc/{exporter.pid}/clear_refs", "w") as f:
            f.write("5")
        objects = subprocess.Popen([args.objects, PREFIX, str(n_maps), str(n_progs),
                                    str(holders)] + ([cg] if cg else []),
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        if objects.stdout.readline().strip() != b"ready":
            sys.exit("objects did not start")
        # The iterators a scrape reads (not the per-map element walk), as the
        # exporter loaded them: its own links, pinned.
        pins += iter_links.pin(exporter.pid, BPFFS, PREFIX).values()
        if len(pins) < 3:
            sys.exit(f"the exporter holds {len(pins)} iterator links, want 3 or 4")

        # Steady state: the memory cache reads each map's fdinfo once, a
        # bounded number per scrape; time scrapes once every map has its figure.
        warmups = 0
        for warmups in range(1, 1000):
            code, body = http_get(port)
            if b'bpfmap_exporter_map_memory_maps{state="unknown"} 0' in body or \
                    b"bpfmap_exporter_map_memory_maps" not in body:
                break
        code, body = http_get(port)
        # every created map has its own capacity series
        seen = sum(1 for line in body.split(b"\n") if line.startswith(b"ebpf_map_max_entries{")
                   and f'name="{PREFIX}_'.encode() in line)
        if code != 200:
            sys.exit(f"scrape failed: {code}")

        scrape, raw, tool, codes = [], [], [], []
        cpu0 = cpu_split(exporter.pid)
        raw_cpu = [0.0, 0.0]  # the raw reads' (user, system), this process's own

        def raw_read():
            u0, s0 = own_cpu()
            for p in pins:
                read_all(p)
            u1, s1 = own_cpu()
            raw_cpu[0] += u1 - u0
            raw_cpu[1] += s1 - s0
        tool_rounds = max(3, args.rounds // (4 if n_maps > 20000 else 1))
        for r in range(args.rounds):
            scrape.append(timed(lambda: codes.append(http_scrape(port))))
            if r == 0:
                rss_first = status_kib(exporter.pid, "VmRSS")
            raw.append(timed(raw_read))
            if r < tool_rounds:
                tool.append(timed(lambda: [subprocess.run(
                    ["bpftool", kind, "show", "-j"], stdout=subprocess.DEVNULL, check=True)
                    for kind in ("map", "prog")]))
        cpu1 = cpu_split(exporter.pid)
        cpu_user = (cpu1[0] - cpu0[0]) / args.rounds
        cpu_sys = (cpu1[1] - cpu0[1]) / args.rounds
        if set(codes) != {200}:
            sys.exit(f"timed scrapes answered {sorted(set(codes))}")
        rss = status_kib(exporter.pid, "VmRSS")
        peak = status_kib(exporter.pid, "VmHWM")

        # The same scrapes back to back, nothing run between them: the
        # scrape's data stays in the CPU caches, which the raw reads and
        # bpftool between the timed rounds (and a real host) evict.
        b0 = cpu_split(exporter.pid)
        durations = {}
        for _ in range(args.rounds):
            codes.append(http_scrape(port))
            # Parsed outside the exporter's CPU time only in aggregate: its own work is done.
            for name, sec in collector_seconds(LAST_SCRAPE_BYTES).items():
                durations.setdefault(name, []).append(sec)
        b1 = cpu_split(exporter.pid)
        if set(codes) != {200}:
            sys.exit(f"back-to-back scrapes answered {sorted(set(codes))}")

        idle0 = cpu_seconds(exporter.pid)
        time.sleep(2 if args.smoke else 5)
        idle = cpu_seconds(exporter.pid) - idle0

        plain = len(body)
        gz_code, gz_body = http_get(port, gz=True)
        if gz_code != 200 or gzip.decompress(gz_body)[:100] != body[:100]:
            sys.exit("gzip scrape broken")

        errors = []

        def scraper():
            for _ in range(5):
                try:
                    if http_get(port)[0] != 200:
                        errors.append("status")
                except OSError as e:
                    errors.append(str(e))

        threads = [threading.Thread(target=scraper) for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        conc_rss = status_kib(exporter.pid, "VmRSS")
        conc_peak = status_kib(exporter.pid, "VmHWM")

        return dict(maps=n_maps, progs=n_progs, seen=seen,
                    scrape_med=statistics.median(scrape), scrape_p99=pct(scrape, 99),
                    raw_med=statistics.median(raw), tool_med=statistics.median(tool),
                    cpu=cpu_user + cpu_sys, cpu_user=cpu_user, cpu_sys=cpu_sys,
                    collectors={k: statistics.median(v) for k, v in durations.items()},
                    b2b_user=(b1[0] - b0[0]) / args.rounds, b2b_sys=(b1[1] - b0[1]) / args.rounds,
                    raw_user=raw_cpu[0] / args.rounds, raw_sys=raw_cpu[1] / args.rounds,
                    idle=idle, idle_rss=idle_rss, rss=rss,
                    growth=rss - rss_first, peak=peak, plain=plain, gz=len(gz_body),
                    concurrent_errors=len(errors), conc_rss=conc_rss, conc_peak=conc_peak,
                    warmups=warmups)
    finally:
        for pin in pins:
            os.unlink(pin)
        exporter.terminate()
        exporter.wait()
        if objects:
            objects.stdin.close()
            objects.wait()


def main():
    if not os.path.ismount(BPFFS):
        subprocess.run(["mount", "-t", "bpf", "bpf", BPFFS], check=True)
    if not shutil.which("bpftool"):
        sys.exit("bpftool missing")
    sizes = [300] if args.smoke else [int(s) for s in args.sizes.split(",")]
    if args.smoke:
        args.rounds = 3
    uname = os.uname()
    print(f"kernel {uname.release} {uname.version}, {os.cpu_count()} CPUs\n", flush=True)
    results = [run_size(n) for n in sizes]

    ms = lambda s: f"{s * 1000:.1f}"
    print("| maps | progs | scrape median ms | p99 ms | raw iterator ms | bpftool ms "
          "| scrape/raw | bpftool/scrape | CPU ms/scrape | idle CPU ms | idle RSS MiB | RSS MiB "
          "| RSS growth KiB | peak RSS MiB "
          "| response KiB | gzip KiB | 10 concurrent | RSS after them MiB (peak) |")
    print("|" + "---|" * 18)
    for r in results:
        print(f"| {r['maps']} | {r['progs']} | {ms(r['scrape_med'])} | {ms(r['scrape_p99'])} "
              f"| {ms(r['raw_med'])} | {ms(r['tool_med'])} "
              f"| {r['scrape_med'] / r['raw_med']:.2f} | {r['tool_med'] / r['scrape_med']:.1f} "
              f"| {ms(r['cpu'])} | {ms(r['idle'])} | {r['idle_rss'] / 1024:.1f} "
              f"| {r['rss'] / 1024:.1f} | {r['growth']} | {r['peak'] / 1024:.1f} "
              f"| {r['plain'] / 1024:.0f} | {r['gz'] / 1024:.0f} "
              f"| {'ok' if not r['concurrent_errors'] else r['concurrent_errors']} "
              f"| {r['conc_rss'] / 1024:.1f} ({r['conc_peak'] / 1024:.1f}) |")
    # The exporter's CPU split, beside the raw reads' own: their system
    # time is the kernel running the iterators, the floor every scrape pays.
    print("\n| maps | CPU ms/scrape: user | system | raw reads' system ms | system beyond them "
          "| back to back: user | system |")
    print("|" + "---|" * 7)
    for r in results:
        print(f"| {r['maps']} | {ms(r['cpu_user'])} | {ms(r['cpu_sys'])} | {ms(r['raw_sys'])} "
              f"| {ms(r['cpu_sys'] - r['raw_sys'])} | {ms(r['b2b_user'])} | {ms(r['b2b_sys'])} |")
    # What each source costs a scrape (its collector's own duration series).
    names = sorted({k for r in results for k in r["collectors"]})
    print("\n| maps | " + " | ".join(f"{k} ms" for k in names) + " |")
    print("|" + "---|" * (len(names) + 1))
    for r in results:
        print(f"| {r['maps']} | " + " | ".join(
            f"{r['collectors'][k] * 1000:.2f}" if k in r["collectors"] else "-" for k in names) + " |")
    print("\nscrapes before every map had its memory figure: " +
          ", ".join(f"{r['maps']} maps: {r['warmups']}" for r in results))
    by = {r["maps"]: r for r in results}
    if 10000 in by and 50000 in by:
        print(f"\n50k/10k scrape time: {by[50000]['scrape_med'] / by[10000]['scrape_med']:.2f}"
              " (linear would be 5)")
    ok = all(r["seen"] >= r["maps"] and not r["concurrent_errors"] for r in results)
    if args.smoke:
        print(f"{int(ok)} passed, {int(not ok)} failed")
    return 0 if ok else 1


sys.exit(main())
