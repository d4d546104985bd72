#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Benchmark: what attachments without a link cost a scrape.

    attach_bench.py BIN ATTACH_BENCH_OBJ [--cgroups 1000] [--netns 16]
                    [--perf 16] [--rounds 20]                 (as root)

Attaches the programs of ATTACH_BENCH_OBJ (tests/bench/attach_bench.bpf.c)
the ways production agents do without a link, many times over:
  cgroups  a cgroup_skb program (BPF_PROG_ATTACH, multi) to each of N new
           cgroups, as systemd and runc attach theirs to every unit and
           container (attach_cgroup walks every cgroup of the host);
  netns    N network namespaces, each with a veth whose host end has an XDP
           (generic) program and a tc ingress filter and whose other end a
           tc egress filter, as CNI plug-ins attach (attach_netlink);
  perf     a perf event on each of N syscall tracepoints, the program set
           by ioctl, as BCC and bpftrace attach (attach_perf_event).
It first checks that the exporter reports every one of them (a miss
fails the bench), then times R scrapes interleaved round by round with
bpftool's own views of the same attachments (`bpftool cgroup tree`,
`bpftool net` in every namespace, `bpftool perf`) and prints, per source,
the collector's median duration
(bpfmap_exporter_scrape_collector_duration_seconds), its cost per
attachment made, and bpftool's median (of the first three rounds: bpftool
cgroup tree asks every cgroup about every attach type and takes long). Everything made is removed.
"""
import argparse
import ctypes
import os
import re
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "lib"))
from http_response import free_port, http_get  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("bin")
ap.add_argument("obj")
ap.add_argument("--cgroups", type=int, default=1000)
ap.add_argument("--netns", type=int, default=16)
ap.add_argument("--perf", type=int, default=16)
ap.add_argument("--rounds", type=int, default=20)
args = ap.parse_args()

PREFIX = "ab" + os.urandom(2).hex()
BPFFS = "/sys/fs/bpf"
PIN = f"{BPFFS}/{PREFIX}"
TRACEFS = "/sys/kernel/tracing"

libc = ctypes.CDLL(None, use_errno=True)
SYS_BPF, SYS_PERF_EVENT_OPEN = 321, 298  # x86-64
BPF_OBJ_GET, BPF_PROG_ATTACH = 7, 8
BPF_CGROUP_INET_INGRESS, BPF_F_ALLOW_MULTI = 0, 2
PERF_TYPE_TRACEPOINT = 2
PERF_EVENT_IOC_ENABLE, PERF_EVENT_IOC_SET_BPF = 0x2400, 0x40042408


def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(attr, 128)
    r = libc.syscall(SYS_BPF, cmd, buf, 128)
    if r < 0:
        raise OSError(ctypes.get_errno(), f"bpf({cmd})")
    return r


def pinned_fd(name):
    path = ctypes.create_string_buffer(f"{PIN}/{name}".encode())
    return bpf(BPF_OBJ_GET, struct.pack("=QII", ctypes.addressof(path), 0, 0))


def run(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def cgroup2_root():
    for line in open("/proc/self/mounts"):
        dev, path, fstype = line.split()[:3]
        if fstype == "cgroup2":
            return path
    sys.exit("no cgroup2 mount")


def make_cgroups(top, n, paths):
    """n cgroups under top, each with the cgroup_skb program, into paths as made."""
    prog = pinned_fd("bab_cgskb")
    os.mkdir(top)
    for i in range(n):
        path = f"{top}/c{i:05d}"
        os.mkdir(path)
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            bpf(BPF_PROG_ATTACH, struct.pack("=IIII", fd, prog, BPF_CGROUP_INET_INGRESS,
                                             BPF_F_ALLOW_MULTI))
        finally:
            os.close(fd)
        paths.append(path)
    os.close(prog)


def remove_cgroups(top):
    if not os.path.isdir(top):
        return
    for name in os.listdir(top):
        if os.path.isdir(f"{top}/{name}"):
            os.rmdir(f"{top}/{name}")  # its programs are detached with it
    os.rmdir(top)


def make_netns(n, names):
    """n namespaces, a veth into each, programs on both ends; into names as made."""
    for i in range(n):
        ns, host, peer = f"{PREFIX}n{i}", f"{PREFIX}h{i}", f"{PREFIX}p{i}"
        run("ip", "netns", "add", ns)
        names.append(ns)
        run("ip", "link", "add", host, "type", "veth", "peer", "name", peer, "netns", ns)
        run("ip", "link", "set", host, "up")
        run("ip", "link", "set", "dev", host, "xdpgeneric", "pinned", f"{PIN}/bab_xdp")
        run("tc", "qdisc", "add", "dev", host, "clsact")
        run("tc", "filter", "add", "dev", host, "ingress", "bpf", "da", "pinned", f"{PIN}/bab_tc")
        # nsenter, not ip -n: the latter mounts a /sys without the pins.
        inside = ["nsenter", f"--net=/run/netns/{ns}"]
        run(*inside, "ip", "link", "set", peer, "up")
        run(*inside, "tc", "qdisc", "add", "dev", peer, "clsact")
        run(*inside, "tc", "filter", "add", "dev", peer, "egress", "bpf", "da", "pinned",
            f"{PIN}/bab_tc")


def remove_netns(names):
    for ns in names:
        subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
    for i in range(args.netns):
        subprocess.run(["ip", "link", "del", f"{PREFIX}h{i}"], stderr=subprocess.DEVNULL)


def make_perf_events(n, fds):
    """A perf event on CPU 0 of each of n syscall tracepoints, the program set on
    each (a tracepoint runs a program once, whatever the events), into fds as made."""
    if not os.path.exists(f"{TRACEFS}/events"):
        subprocess.run(["mount", "-t", "tracefs", "tracefs", TRACEFS], check=False)
    events = f"{TRACEFS}/events/syscalls"
    names = sorted(e for e in os.listdir(events) if e.startswith("sys_enter_"))[:n]
    if len(names) < n:
        sys.exit(f"only {len(names)} syscall tracepoints")
    prog = pinned_fd("bab_tp")
    for name in names:
        with open(f"{events}/{name}/id") as f:
            tp_id = int(f.read())
        # perf_event_attr: type, size, config, sample_period, then zeroes.
        attr = ctypes.create_string_buffer(
            struct.pack("=IIQQ", PERF_TYPE_TRACEPOINT, 128, tp_id, 1), 128)
        fd = libc.syscall(SYS_PERF_EVENT_OPEN, attr, -1, 0, -1, 8)  # PERF_FLAG_FD_CLOEXEC
        if fd < 0:
            raise OSError(ctypes.get_errno(), "perf_event_open")
        fds.append(fd)
        if libc.ioctl(fd, PERF_EVENT_IOC_SET_BPF, prog) or libc.ioctl(fd, PERF_EVENT_IOC_ENABLE, 0):
            raise OSError(ctypes.get_errno(), "perf event ioctl")
    os.close(prog)


def scrape(port):
    status, body = http_get(port)
    if status != 200:
        sys.exit(f"scrape answered {status}")
    return body.decode(errors="replace")


LABELS = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def attach_rows(text):
    """(via, attach_type, program name, target) of each ebpf_prog_attach_info row without a link."""
    rows = []
    for line in text.splitlines():
        if line.startswith("ebpf_prog_attach_info{") and "link_id=" not in line:
            labels = dict(LABELS.findall(line.split("} ")[0]))
            rows.append((labels.get("via"), labels.get("attach_type"), labels.get("name"),
                         labels.get("target", "")))
    return rows


DURATION = re.compile(r'^bpfmap_exporter_scrape_collector_duration_seconds\{collector="(\w+)"\} (\S+)$',
                      re.M)


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def check_reported(text, cgroups, netns, refused):
    """Each source's (attachments made, reported); exits if they differ. A
    source the kernel refused is left out."""
    rows = attach_rows(text)
    want = {
        "attach_cgroup": (len(cgroups), sum(1 for v, t, n, tg in rows if v == "prog_attach" and
                                            n == "bab_cgskb" and f"/{PREFIX}/" in tg + "/")),
        "attach_netlink": (3 * len(netns), sum(1 for v, t, n, tg in rows if v == "netlink" and
                                               n in ("bab_xdp", "bab_tc") and
                                               tg.startswith(PREFIX))),
        "attach_perf_event": (args.perf, sum(1 for v, t, n, tg in rows if v == "perf_event" and
                                             n == "bab_tp")),
    }
    for source in refused:
        del want[source]
    for source, (made, seen) in want.items():
        if made != seen:
            sys.exit(f"{source}: {made} attachments made, the exporter reports {seen}")
    return want


def make(refused, source, fn, *fn_args):
    """Make one source's attachments; one the kernel refuses is noted, not fatal."""
    try:
        fn(*fn_args)
    except (OSError, subprocess.CalledProcessError) as e:
        refused[source] = str(e)


def main():
    for tool in ("bpftool", "ip", "tc", "nsenter"):
        if not shutil.which(tool):
            sys.exit(f"{tool} missing")
    if not os.path.ismount(BPFFS):
        run("mount", "-t", "bpf", "bpf", BPFFS)
    uname = os.uname()
    print(f"kernel {uname.release} {uname.version}, {os.cpu_count()} CPUs", flush=True)
    top, cgroups, netns, perf_fds, exporter = f"{cgroup2_root()}/{PREFIX}", [], [], [], None
    # Killed (a CI timeout, say), it still removes what it made.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))
    try:
        run("bpftool", "prog", "loadall", args.obj, PIN)
        refused = {}
        make(refused, "attach_cgroup", make_cgroups, top, args.cgroups, cgroups)
        make(refused, "attach_netlink", make_netns, args.netns, netns)
        make(refused, "attach_perf_event", make_perf_events, args.perf, perf_fds)
        for source, why in refused.items():
            print(f"{source}: the kernel refused the attachments ({why}); not measured")
        total_cgroups = sum(len(dirs) for _, dirs, _ in os.walk(cgroup2_root())) + 1
        port = free_port()
        exporter = subprocess.Popen([args.bin, f"--web.listen-address=127.0.0.1:{port}",
                                     "--log.level=warn"])
        for _ in range(100):
            try:
                text = scrape(port)
                break
            except (OSError, SystemExit):
                time.sleep(0.1)
        else:
            sys.exit("the exporter did not answer")
        want = check_reported(text, cgroups, netns, refused)

        tools = {
            "attach_cgroup": [["bpftool", "cgroup", "tree"]],
            "attach_netlink": [["bpftool", "net"]] +
                              [["nsenter", f"--net=/run/netns/{ns}", "bpftool", "net"] for ns in netns],
            "attach_perf_event": [["bpftool", "perf"]],
        }
        tools = {k: v for k, v in tools.items() if k not in refused}
        durations, tool_times, scrapes = {k: [] for k in tools}, {k: [] for k in tools}, []
        # bpftool cgroup tree asks every cgroup every attach type: tens of seconds here.
        tool_rounds = min(args.rounds, 3)
        for r in range(args.rounds):
            text = None

            def one():
                nonlocal text
                text = scrape(port)
            scrapes.append(timed(one))
            got = {m.group(1): float(m.group(2)) for m in DURATION.finditer(text)}
            for k in tools:
                durations[k].append(got[k])
            for k, cmds in tools.items():
                if r < tool_rounds:
                    tool_times[k].append(timed(lambda: [subprocess.run(c, check=True,
                                                                       stdout=subprocess.DEVNULL)
                                                        for c in cmds]))
        check_reported(text, cgroups, netns, refused)  # still all there after the timed rounds

        ms = lambda s: f"{s * 1000:.2f}"
        print(f"\n{args.cgroups} cgroups with a program (of {total_cgroups} on the host), "
              f"{args.netns} network namespaces with a veth (3 programs each), "
              f"{args.perf} perf events; {args.rounds} scrapes, median of each; "
              f"scrape median {ms(statistics.median(scrapes))} ms\n")
        print("| collector | attachments made (reported) | collector ms | µs per attachment "
              "| bpftool ms | bpftool/collector |")
        print("|---|---|---|---|---|---|")
        for k in tools:
            d, t = statistics.median(durations[k]), statistics.median(tool_times[k])
            made = want[k][0]
            print(f"| {k} | {made} ({want[k][1]}) | {ms(d)} | {d / made * 1e6:.1f} "
                  f"| {ms(t)} | {t / d:.0f} |")
    finally:
        if exporter:
            exporter.terminate()
            exporter.wait()
        for fd in perf_fds:
            os.close(fd)
        remove_netns(netns)
        remove_cgroups(top)
        shutil.rmtree(PIN, ignore_errors=True)


main()
