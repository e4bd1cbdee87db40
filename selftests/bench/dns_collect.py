#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The host half of selftests/bench_dns.sh's guest run:

    bash selftests/vm.sh --log LOG ... -- bash selftests/bench_dns.sh --guest |
        python3 selftests/bench/dns_collect.py LOG

passes the guest's output on and, at each "MARK TAG b|e" line, reads the
host CPU time given to each vCPU thread of that guest's QEMU (collect.py's
find_qemu and vcpu_times: the guest's own clock and CPU times run on while a
vCPU waits for a host CPU).  At "e" it prints
"VCPU TAG WALL_S CPU0_S CPU1_S ...": the seconds of host CPU each vCPU got
between the marks.

    python3 selftests/bench/dns_collect.py --summary GUEST-OUTPUT

prints the markdown tables of bench_dns.sh from that output (RUN, VCPU,
ONDEMAND lines).
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from collect import find_qemu, vcpu_times  # noqa: E402


def kv(words):
    d = {}
    for w in words:
        if "=" in w:
            k, v = w.split("=", 1)
            d[k] = v
    return d


def num(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def med(xs):
    xs = sorted(x for x in xs if x is not None)
    return xs[(len(xs) - 1) // 2] if xs else None


def pct(xs, p):
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    k = int(len(xs) * p)
    k = k if k == len(xs) * p else k + 1
    return xs[max(k, 1) - 1]


def f(x, fmt="%.0f"):
    return "-" if x is None else fmt % x


def summary(path):
    runs, vcpu, ondemand, ncpu, head = {}, {}, [], 2, {}
    for line in open(path, errors="replace"):
        w = line.split()
        if not w:
            continue
        if w[0] == "RUN":
            runs[w[1]] = kv(w[2:])
        elif w[0] == "VCPU" and len(w) >= 4:
            vcpu[w[1]] = [num(x) for x in w[3:]]
        elif w[0] == "ONDEMAND":
            ondemand.append(kv(w[1:]))
        elif w[0] == "CONFIG":
            head = kv(w[1:])
            ncpu = int(head.get("cpus", 2))
    out = []
    servers = []
    for tag in runs:
        s = runs[tag]["server"]
        if s not in servers:
            servers.append(s)
    if servers:
        rate = head.get("rate", "?")
        out.append("| server | queries/s | runs | queries per server-vCPU second | "
                   "server CPU us/query (guest) | lost (socket full) | avg latency ms | "
                   "latency ms at %s/s | lost at %s/s | NXDOMAIN |" % (rate, rate))
        out.append("|---|---|---|---|---|---|---|---|---|---|")
        best = {}
        for s in servers:
            mx = [(t, r) for t, r in runs.items() if t.startswith("max.%s." % s)]
            qps = [num(r["qps"]) for _, r in mx]
            per_cpu, cpu_ms, done, lost, full = [], 0, 0, 0, 0
            for t, r in mx:
                c = vcpu.get(t)
                srv = sum(c[:ncpu - 1]) if c and ncpu > 1 else (c[0] if c else None)
                if srv:
                    per_cpu.append(num(r["completed"]) / srv)
                cpu_ms += int(r.get("cpu_ms") or 0)
                done += int(r.get("completed") or 0)
                lost += int(r.get("lost") or 0)
                full += int(r.get("rcvbuf_errors") or 0)
            rr = runs.get("rate.%s" % s, {})
            best[s] = (med(qps), med(per_cpu))
            out.append("| %s | %s | %s | %s | %s | %d (%d) | %s | %s | %s | %s |" % (
                s, f(med(qps)), "/".join(f(q) for q in qps), f(med(per_cpu)),
                f(cpu_ms * 1000 / done if done else None, "%.1f"), lost, full,
                med([num(r.get("lat_ms")) for _, r in mx]) or "-",
                rr.get("lat_ms", "-"), rr.get("lost", "-"),
                mx[-1][1].get("nx", "-") if mx else "-"))
        if "dstmd" in best:
            out.append("")
            for s in servers:
                if s == "dstmd" or not best[s][0]:
                    continue
                d, o = best["dstmd"], best[s]
                out.append("dstmd / %s: %s of its queries/s, %s per server-vCPU second "
                           "(goal: >= 0.5)  " % (
                               s, f(d[0] / o[0] if d[0] and o[0] else None, "%.2f"),
                               f(d[1] / o[1] if d[1] and o[1] else None, "%.2f")))
    if ondemand:
        trials = [o for o in ondemand if o.get("trial") != "0"]
        if out:
            out.append("")
        out.append("| on-demand A, %d trials | p50 ms | p99 ms | max ms |" % len(trials))
        out.append("|---|---|---|---|")
        for k, what in (("ms", "query to answer (goal < 50 ms)"),
                        ("to_reconfigure_ms", "... query sent to the agent's Reconfigure event"),
                        ("reconfigure_to_bound_ms", "... Reconfigure to the agent's bound event (the exchange)"),
                        ("bound_to_answer_ms", "... bound event to answer received"),
                        ("a_ms", "A again, lease in place"),
                        ("aaaa_ms", "AAAA")):
            xs = [x for x in (num(o.get(k)) for o in trials) if x is not None]
            out.append("| %s | %s | %s | %s |" % (what, f(med(xs), "%.1f"), f(pct(xs, 0.99), "%.1f"),
                                                  f(max(xs) if xs else None, "%.1f")))
        ok = sum(1 for o in trials if o.get("answer") == o.get("lease"))
        first = [o for o in ondemand if o.get("trial") == "0"]
        out.append("")
        out.append("answered with the lease's address: %d of %d; the first on-demand A after "
                   "the agent started (cold, not in the figures): %s ms" % (
                       ok, len(trials), first[0].get("ms") if first else "-"))
    print("\n".join(out))
    return 0


def main():
    if sys.argv[1] == "--summary":
        return summary(sys.argv[2])
    log = sys.argv[1]
    qemu, marks = None, {}
    for line in sys.stdin:
        w = line.split()
        if len(w) == 3 and w[0] == "MARK":
            if qemu is None:
                qemu = find_qemu(log)
            snap = vcpu_times(qemu) if qemu else {}
            if w[2] == "b":
                marks[w[1]] = (time.time(), snap)
            elif w[1] in marks:
                t, b = marks.pop(w[1])
                cpus = ["%.3f" % ((snap[c] - b[c]) / 1e9) for c in sorted(snap) if c in b]
                print("VCPU %s %.3f %s" % (w[1], time.time() - t, " ".join(cpus) or "-"),
                      flush=True)
            continue
        sys.stdout.write(line)
        sys.stdout.flush()
    if qemu is None:
        print("# dns_collect: never found the QEMU process of %s: no vCPU times" % log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
