#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The host half of `make bench`.

    bash selftests/vm.sh --log LOG ... -- bash selftests/bench/guest.sh |
        python3 selftests/bench/collect.py --log LOG --out RESULTS.json

reads the guest's output as it comes.  At every "MARK TAG b|e" line it reads
the CPU time that the host has given to each vCPU thread of the QEMU process
running that guest (found by its console LOG in the command line;
/proc/PID/task/TID/schedstat, nanoseconds).  Under TCG, with other work on
the host, the guest's clock runs on while its vCPU waits for a host CPU, so
a rate per wall-clock second mostly measures the host's load; a rate per
second of the generator vCPU's CPU time does not.

"RESULT TAG RX SENT SECS" and "LOAD TAG COUNT SECS VCPU" lines are kept, with the
CPU time between the tag's marks, in RESULTS.json; comments are passed on.

    python3 selftests/bench/collect.py --summary RESULTS.json... [--markdown]

prints the table of medians of one or more runs (one per kernel).
"""
import argparse
import glob
import json
import os
import statistics
import sys
import time

GEN_CPU = 1  # guest.sh pins the generator and the loads to CPU 1


def find_qemu(log):
    """PID of the QEMU whose serial console is LOG, or None."""
    needle = ("file:" + os.path.realpath(log)).encode()
    for d in glob.glob("/proc/[0-9]*"):
        try:
            with open(d + "/cmdline", "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if args and os.path.basename(args[0]).startswith(b"qemu-system") and needle in args:
            return int(os.path.basename(d))
    return None


def vcpu_times(pid):
    """{vcpu index: ns of host CPU time} for QEMU process PID."""
    out = {}
    for t in glob.glob("/proc/%d/task/*" % pid):
        try:
            with open(t + "/comm") as f:
                comm = f.read().strip()
            if not comm.startswith("CPU ") or not comm.endswith("/TCG") and not comm.endswith("/KVM"):
                continue
            with open(t + "/schedstat") as f:
                out[int(comm[4:].split("/")[0])] = int(f.read().split()[0])
        except (OSError, ValueError):
            continue
    return out


def collect(args):
    qemu = None
    marks = {}  # tag -> (wall, {cpu: ns}) at "b"
    cpu = {}    # tag -> {cpu: seconds}
    res = {"kernel": None, "results": [], "loads": [], "host": host_info()}
    t0 = time.time()
    for line in sys.stdin:
        line = line.rstrip("\n")
        w = line.split()
        if not w:
            continue
        if w[0] == "MARK" and len(w) == 3:
            if qemu is None:
                qemu = find_qemu(args.log)
            snap = vcpu_times(qemu) if qemu else {}
            if w[2] == "b":
                marks[w[1]] = (time.time(), snap)
            elif w[1] in marks:
                wall, b = marks.pop(w[1])
                cpu[w[1]] = {"wall": time.time() - wall}
                for c, ns in snap.items():
                    if c in b:
                        cpu[w[1]][c] = (ns - b[c]) / 1e9
            continue
        if w[0] == "KERNEL":
            res["kernel"] = w[1]
        elif w[0] == "CONFIG":
            res["config"] = " ".join(w[1:])
        elif w[0] == "RESULT" and len(w) == 5:
            d, size, var, rep = w[1].split("/")
            c = cpu.get(w[1], {})
            res["results"].append({
                "dir": d, "size": int(size), "variant": var, "rep": int(rep),
                "rx": int(w[2]), "sent": int(w[3]), "secs": float(w[4]),
                "cpu": c.get(GEN_CPU), "cpu_other": c.get(1 - GEN_CPU),
                "host_wall": c.get("wall")})
            r = res["results"][-1]
            if args.verbose:
                print("# %-4s %4s %-14s rep %d: %8.0f pps/CPU-s %8.0f pps (wall), vCPU got %3.0f%%" % (
                    d, size, var, r["rep"], rate(r), r["rx"] / r["secs"],
                    100 * (r["cpu"] or 0) / (r["host_wall"] or 1)), flush=True)
            continue
        elif w[0] == "LOAD" and len(w) == 5:
            c = cpu.get("load/" + w[1], {})
            v = int(w[4])
            res["loads"].append({"what": w[1], "count": int(w[2]), "secs": float(w[3]),
                                 "cpu": c.get(v), "vcpu": v})
        print(line, flush=True)
    res["elapsed"] = time.time() - t0
    with open(args.out, "w") as f:
        json.dump(res, f, indent=1)
    if qemu is None and res["results"]:
        # vm.sh names the console log in QEMU's "-serial file:LOG" and the
        # vCPU threads "CPU N/TCG" (debug-threads=on): both are needed.
        print("collect.py: never found the QEMU process of %s: no CPU times" % args.log,
              file=sys.stderr)
        return 1
    return 0


def host_info():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": model, "cpus": os.cpu_count(), "load": os.getloadavg()[0]}


def rate(r):
    """Packets per second of host CPU time given to the guest's vCPUs.

    The generator's vCPU does nearly all the work, but what a packet makes
    the other vCPU do (RCU callbacks, workers) is part of its cost too.
    """
    if not r.get("cpu"):
        return float("nan")
    return r["rx"] / (r["cpu"] + (r.get("cpu_other") or 0))


def med(xs):
    xs = [x for x in xs if x == x]
    return statistics.median(xs) if xs else float("nan")


NAMES = {
    "null": "generator alone (DUT drops at ingress)",
    "ipv6-fwd": "plain IPv6 forwarding (the limit)",
    "ipv4-fwd": "plain IPv4 forwarding (for reference)",
}


def variant_name(v, portset_maps=None):
    if v in NAMES:
        return NAMES[v]
    w = v.split("-")
    kind, n = w[0], int(w[1])
    hot = len(w) > 2 and w[2] == "hot1"
    if portset_maps is None:
        portset = n > 131072
    else:
        portset = n == portset_maps
    tep = "dstm TEP fast path" if kind == "dstmfast" else "dstm TEP"
    if kind == "ip6tnl":
        name = "ip6tnl external, %s encap route%s" % (fmt_n(n), "s" if n > 1 else "")
    elif n == 1:
        name = "%s, 1 mapping" % tep
    else:
        name = "%s, %s mappings%s" % (tep, fmt_n(n), " (port sets)" if portset else "")
    if hot:
        name += ", 1 in use"
    elif n > 1:
        name += ", 4,096 in use"
    return name


def fmt_n(n):
    return "{:,}".format(n)


def table(res, md):
    rows = res["results"]
    cfg = dict(w.split("=", 1) for w in res.get("config", "").split() if "=" in w)
    portset_maps = int(cfg["portset-maps"]) if "portset-maps" in cfg else None
    out = []
    sizes = sorted({r["size"] for r in rows})
    order = []
    for r in rows:
        if (r["dir"], r["variant"]) not in order:
            order.append((r["dir"], r["variant"]))

    def sel(d, v, s):
        return [r for r in rows if r["dir"] == d and r["variant"] == v and r["size"] == s]

    def paired(d, v, s):
        """Median over rounds of the rate relative to that round's baseline."""
        base = {r["rep"]: rate(r) for r in sel("both", "ipv6-fwd", s)}
        return med([rate(r) / base[r["rep"]] for r in sel(d, v, s) if r["rep"] in base])

    titles = {"enc": "IPv4 -> client (the TEP encapsulates)",
              "dec": "client -> IPv4 (the TEP decapsulates, with dstm's anti-spoofing lookup)"}
    null = {s: med([rate(r) for r in sel("gen", "null", s)]) for s in sizes}
    for d in ("enc", "dec"):
        out.append("")
        out.append(("#### " if md else "") + titles[d] + (":" if not md else ""))
        out.append("")
        hdr = ["variant"]
        for s in sizes:
            hdr += ["%dB pps/CPU-s" % s, "range", "ratio", "us/pkt"]
        if md:
            out.append("| " + " | ".join(hdr) + " |")
            out.append("|" + "|".join(["---"] + ["--:"] * (len(hdr) - 1)) + "|")
        else:
            out.append("  %-66s" % hdr[0] + "".join("%17s%12s%7s%8s" % tuple(hdr[1 + 4 * i:5 + 4 * i])
                                                      for i in range(len(sizes))))
        for dd, v in [("both", "ipv6-fwd")] + [o for o in order if o[0] == d]:
            cells = []
            for s in sizes:
                rates = [rate(r) for r in sel(dd, v, s)]
                p = med(rates)
                good = [x for x in rates if x == x]
                rng = "%.0f-%.0fk" % (min(good) / 1e3, max(good) / 1e3) if good else "?"
                # A variant that forwarded nothing (p = 0) has no cost per packet.
                dut = (1e6 / p - 1e6 / null[s]) if p and p == p and null[s] == null[s] else float("nan")
                cells += ["%.0f" % p, rng, "%.2f" % paired(dd, v, s), "%.1f" % dut]
            name = variant_name(v, portset_maps)
            if md:
                out.append("| " + " | ".join([name] + cells) + " |")
            else:
                out.append("  %-66s" % name + "".join("%17s%12s%7s%8s" % tuple(cells[4 * i:4 * i + 4])
                                                       for i in range(len(sizes))))
        out += versus(d, sizes, order, sel, portset_maps, md)
    out.append("")
    gen = ", ".join("%dB %.0f pps/CPU-s" % (s, null[s]) for s in sizes)
    out.append(("" if md else "  ") + "generator alone (the DUT drops at ingress): " + gen)
    return out


def versus(d, sizes, order, sel, portset_maps, md):
    """dstm against ip6tnl, and dstm's fast path against dstm: the median
    over rounds of the ratio of the two rates measured in the same round
    (minutes apart at most), which cancels the host's slow drifts better
    than a ratio of medians.  Each variant is paired with the variant of
    the same shape: one mapping with one route, "1 in use" with "1 in
    use", many with many.
    """
    tnl = [v for dd, v in order if dd == d and v.startswith("ip6tnl-")]
    plain = [v for dd, v in order if dd == d and v.startswith("dstm-")]

    def like_tnl(v):
        w = v.split("-")
        if w[1] == "1":
            return [t for t in tnl if t == "ip6tnl-1"]
        if len(w) > 2:
            return [t for t in tnl if t.endswith("-hot1")] or [t for t in tnl if t == "ip6tnl-1"]
        return [t for t in tnl if t != "ip6tnl-1" and not t.endswith("-hot1")]

    def like_dstm(v):
        # dstmfast-REST against dstm-REST: the same table, the same traffic.
        return [t for t in plain if t == "dstm-" + v.split("-", 1)[1]]

    out = []
    for kinds, against, what in (
            (("dstm-", "dstmfast-"), like_tnl, ("dstm/ip6tnl", "dstm / ip6tnl")),
            (("dstmfast-",), like_dstm, ("fast/dstm", "dstm fast path / dstm"))):
        rows = []
        for dd, v in order:
            if dd != d or not v.startswith(kinds):
                continue
            want = against(v)
            if not want:
                continue
            cells = []
            for s in sizes:
                other = {r["rep"]: rate(r) for r in sel(d, want[0], s)}
                xs = [rate(r) / other[r["rep"]] for r in sel(d, v, s) if r["rep"] in other]
                xs = [x for x in xs if x == x]
                cells.append("%.2f (%.2f-%.2f)" % (med(xs), min(xs), max(xs)) if xs else "?")
            rows.append((variant_name(v, portset_maps), variant_name(want[0], portset_maps), cells))
        if rows:
            out += pairs_table(what, sizes, rows, md)
    return out


def pairs_table(what, sizes, rows, md):
    label, title = what
    title += ", rates of the same round (median of the per-round ratios):"
    out = [""]
    hdr = ["dstm variant", "against"] + ["%dB %s (range)" % (s, label) for s in sizes]
    if md:
        out.append(title)
        out.append("")
        out.append("| " + " | ".join(hdr) + " |")
        out.append("|---|---|" + "|".join(["--:"] * len(sizes)) + "|")
        for a, b, cells in rows:
            out.append("| " + " | ".join([a, b] + cells) + " |")
    else:
        out.append("  " + title)
        for a, b, cells in rows:
            out.append("  %-66s vs %-56s" % (a, b) + "".join("%20s" % c for c in cells))
    return out


def loads(res, md):
    out = []
    names = {"dstmctl-whole": "dstmctl -batch, whole-address mappings",
             "dstmctl-psid": "dstmctl -batch, port-set mappings (8 per address)",
             "ip-metric": "ip -batch, encap ip6 routes, distinct metric each",
             "ip-plain": "ip -batch, encap ip6 routes as usually written"}
    if md:
        out.append("| load | count | CPU s | per second of CPU | wall s |")
        out.append("|---|--:|--:|--:|--:|")
    for l in res["loads"]:
        c = l["cpu"] or float("nan")
        cells = [names.get(l["what"], l["what"]), fmt_n(l["count"]), "%.1f" % c,
                 fmt_n(int(l["count"] / c)) if c == c else "?", "%.1f" % l["secs"]]
        if md:
            out.append("| " + " | ".join(cells) + " |")
        else:
                out.append("  %-52s %9s %8s CPU-s %10s/CPU-s %8s s wall" % tuple(cells))
    return out


def summary(args):
    for path in args.summary:
        with open(path) as f:
            res = json.load(f)
        if not res["results"]:
            print("%s: no results" % path)
            continue
        r0 = res["results"]
        reps = max(r["rep"] for r in r0)
        print()
        head = "Linux %s: median of %d rounds; packets per second of host CPU time given to the guest" % (
            res["kernel"], reps)
        print(("### " if args.markdown else "== ") + head)
        gw = [w for w in res.get("config", "").split() if w.startswith("gateway=")]
        if gw and gw[0] != "gateway=none":
            print(("" if args.markdown else "  ") + "configuration: " + gw[0])
        for line in table(res, args.markdown):
            print(line)
        print()
        print(("" if args.markdown else "  ") + "Loading the tables:")
        if args.markdown:
            print()
        for line in loads(res, args.markdown):
            print(line)
        print()
        print(("" if args.markdown else "  ") + "bench VM run: %.0f s; host load average at the end %.1f (%d CPUs, %s)" % (
            res["elapsed"], res["host"]["load"], res["host"]["cpus"], res["host"]["cpu"]))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--log", help="the QEMU console log path given to vm.sh --log")
    ap.add_argument("--out", help="write the results (JSON) here")
    ap.add_argument("--summary", nargs="+", help="print the tables of these results")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true", help="print each run")
    args = ap.parse_args()
    if args.summary:
        return summary(args)
    if not args.log or not args.out:
        ap.error("--log and --out are needed to collect")
    return collect(args)


if __name__ == "__main__":
    sys.exit(main())
