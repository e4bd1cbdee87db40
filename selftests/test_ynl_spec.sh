#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The YAML netlink spec (Documentation/netlink/specs/dstm.yaml) against the
# real thing, with the kernel's own tools: the spec must validate against the
# kernel's genetlink-legacy schema, name every value of uapi/linux/dstm.h
# right, describe the policies, ops and groups the running module exports
# (nlctrl getfamily/getpolicy), and the kernel's YNL CLI (tools/net/ynl) must
# drive the family with it: dev-set, dev-get, map-new, map-get (do, dump),
# map-del, map-flush and the notifications, decoding what the kernel sends
# (an unknown attribute, a wrong id or type fails the test).
#
# YNL and the schemas come from /usr/src/linux-source-6.12.tar.xz (make deps)
# and are extracted into build/ynl on the host, never into the repository;
# unpacking the tarball inside the TCG guest would take ten minutes.
#
#   bash selftests/test_ynl_spec.sh [vm.sh options]   host: extract, then run
#                                                      in a VM (vm.sh)
#   bash selftests/test_ynl_spec.sh --prepare          host: only extract
#   bash selftests/vm.sh -- selftests/test_ynl_spec.sh the guest part alone
#                                                      (after --prepare)
#
# DSTM_YNL_SPEC=FILE tests another spec (e.g. a deliberately wrong one, to
# see the test catch it); DSTM_YNL_TARBALL=FILE takes YNL from another
# linux-source tarball with 6.12's layout (tools/net/ynl/cli.py).
#
# Build first: make modules && make -C tools.
#
# vm-options: --timeout 1200

YNL_SELF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
YNL_TOP=${DSTM_TOP:-$(cd "$YNL_SELF/.." && pwd -P)}
YNL_ROOT=$YNL_TOP/build/ynl
YNL_TARBALL=${DSTM_YNL_TARBALL:-}

# Host side: extract cli.py, its lib and the schemas, once per tarball.
ynl_prepare() {
	local tarball stamp want tmp
	tarball=${YNL_TARBALL:-$(ls /usr/src/linux-source-6.12*.tar.xz 2>/dev/null | tail -n1)}
	if [ -z "$tarball" ] || [ ! -r "$tarball" ]; then
		echo "test_ynl_spec: no /usr/src/linux-source-6.12*.tar.xz (run make deps)" >&2
		return 1
	fi
	stamp=$YNL_ROOT/.source
	want=$(stat -c '%n %s %Y' "$tarball")
	mkdir -p "$YNL_TOP/build"
	(
		flock -w 900 9 || exit 1
		[ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && exit 0
		echo "test_ynl_spec: extracting YNL from $tarball into build/ynl" >&2
		tmp=$(mktemp -d "$YNL_TOP/build/.ynl.XXXXXX") || exit 1
		if ! tar -xJf "$tarball" -C "$tmp" --strip-components=1 --wildcards \
			'*/tools/net/ynl/cli.py' '*/tools/net/ynl/lib/*.py' \
			'*/Documentation/netlink/genetlink*.yaml' \
			'*/Documentation/netlink/specs/nlctrl.yaml'; then
			rm -rf "$tmp"
			exit 1
		fi
		rm -rf "$YNL_ROOT"
		mv "$tmp" "$YNL_ROOT" && echo "$want" >"$stamp"
	) 9>"$YNL_TOP/build/.ynl.lock"
}

if [ "${DSTM_VM:-}" != 1 ]; then
	ynl_prepare || exit 1
	[ "${1:-}" = --prepare ] && exit 0
	exec bash "$YNL_SELF/vm.sh" --timeout 1200 "$@" -- "$YNL_SELF/test_ynl_spec.sh"
fi

. "$YNL_SELF/lib/topo.sh"

PY=/usr/bin/python3
SPEC=${DSTM_YNL_SPEC:-$TOPO_TOP/Documentation/netlink/specs/dstm.yaml}
CLI=$YNL_ROOT/tools/net/ynl/cli.py
SCHEMA=$YNL_ROOT/Documentation/netlink/genetlink-legacy.yaml
NS=ynl

if [ ! -f "$CLI" ] || [ ! -f "$SCHEMA" ]; then
	check "YNL extracted into build/ynl (bash selftests/test_ynl_spec.sh --prepare on the host)" \
		test -f "$CLI" -a -f "$SCHEMA"
	topo_done
fi

# ------------------------------------------------------------------ helpers

# ynl ARGS...: the kernel's CLI with our spec, in the test namespace, JSON
# out. The schema is checked once, below; skipping it here saves seconds a
# call under TCG.
ynl() {
	ip netns exec "$NS" "$PY" "$CLI" --spec "$SPEC" --no-schema --output-json "$@"
}

# ynl_to FILE ARGS...: ynl, output to FILE; fails with the output shown.
ynl_to() {
	local f=$1
	shift
	ynl "$@" >"$f" 2>&1 || { cat "$f"; return 1; }
}

# jqeq FILE FILTER WANT: the jq FILTER over FILE's last line is WANT.
jqeq() {
	local got
	got=$(tail -n1 "$1" | jq -r "$2" 2>&1)
	[ "$got" = "$3" ] && return 0
	echo "jq '$2' gave '$got', expected '$3' in:"
	tail -n1 "$1"
	return 1
}

ip2int() { # dotted quad -> integer (YNL takes be32 attributes as integers)
	local a b c d
	IFS=. read -r a b c d <<<"$1"
	echo $(((a << 24) | (b << 16) | (c << 8) | d))
}

ip6hex() { # IPv6 text -> 32 hex digits (YNL takes binary attributes in hex)
	local head=$1 tail='' h=() t=() out='' i n
	if [[ $1 == *::* ]]; then
		head=${1%%::*}
		tail=${1#*::}
	fi
	IFS=: read -ra h <<<"$head"
	IFS=: read -ra t <<<"$tail"
	n=$((8 - ${#h[@]} - ${#t[@]}))
	for i in "${h[@]}"; do out+=$(printf %04x "0x$i"); done
	for ((i = 0; i < n; i++)); do out+=0000; done
	for i in "${t[@]}"; do out+=$(printf %04x "0x$i"); done
	echo "$out"
}

# pyparts PART...: run parts of the Python driver (below); each of its
# "ok|not ok<TAB>what<TAB>detail" lines becomes a check.
py_result() { # STATUS DETAIL
	[ "$1" = ok ] && return 0
	printf '%s\n' "$2" | tr '\034' '\n'
	return 1
}
pyparts() {
	local st desc detail rc=none out=$TMPD/py.out
	(
		cd "$YNL_ROOT/tools/net/ynl" &&
			ip netns exec "$NS" "$PY" "$TMPD/driver.py" "$@"
	) >"$out" 2>&1
	rc=$?
	while IFS=$'\t' read -r st desc detail; do
		case $st in
		ok | "not ok") check "$desc" py_result "$st" "$detail" ;;
		*) echo "# $st${desc:+ $desc}${detail:+ $detail}" ;;
		esac
	done <"$out"
	check "python driver ($*) ran to the end" eq "$rc" 0
}

# The events group, heard by a listener of its own (YNL 6.12's CLI cannot
# subscribe and do in one run when the do causes a notification).
listen_start() {
	bg ip netns exec "$NS" sh -c "cd '$YNL_ROOT/tools/net/ynl' && exec '$PY' '$TMPD/driver.py' listen"
	LISTEN_PID=$BG_PID
	wait_for 120 test -f "$TMPD/listen.ready"
}
listen_stop() {
	touch "$TMPD/listen.stop"
	wait "$LISTEN_PID"
	[ -s "$TMPD/ntf.json" ] || { cat "$TMPD/bg.log"; return 1; }
}

# ------------------------------------------------------------ python driver
# Runs with the kernel's YNL lib (cwd = tools/net/ynl). Everything it knows
# about the family it reads from the spec: ids, types, checks, flags.
cat >"$TMPD/driver.py" <<'PYEOF'
import json, os, re, subprocess, sys, tempfile, time, traceback
sys.path.insert(0, '.')
from lib import YnlFamily, NlError

SPEC, SCHEMA, UAPI, TMPD = (os.environ[k] for k in
                            ('SPEC', 'SCHEMA', 'UAPI', 'TMPD'))
NLCTRL = os.path.join(os.environ['YNL_ROOT'],
                      'Documentation/netlink/specs/nlctrl.yaml')


def say(ok, what, detail=''):
    detail = str(detail).replace('\t', ' ').replace('\n', '\034')
    print(f"{'ok' if ok else 'not ok'}\t{what}\t{detail}", flush=True)


def part(fn):
    """A group of checks; an exception fails the group, not the run."""
    try:
        fn()
    except Exception:
        say(False, f'{fn.__name__}: no exception', traceback.format_exc())


def load_yaml(path):
    import yaml
    with open(path) as f:
        return yaml.safe_load(f)


spec = load_yaml(SPEC)
sets = {s['name']: s for s in spec['attribute-sets']}


def attr_values(aset):
    """name -> value of an attribute set, as YNL numbers them."""
    out, val = {}, 1
    for a in sets[aset]['attributes']:
        val = a.get('value', val)
        out[a['name']] = val
        val += 1
    return out


def attr_spec(aset, name):
    return next(a for a in sets[aset]['attributes'] if a['name'] == name)


def c_name(prefix, name):
    return (prefix + name).upper().replace('-', '_')


# ------------------------------------------------------------- static parts

def schema():
    import jsonschema
    jsonschema.validate(spec, load_yaml(SCHEMA))
    say(True, "spec validates against the kernel's genetlink-legacy.yaml")


def header():
    """Every name the spec implies has the spec's value in our uAPI header
    (the C compiler reads the header), and every enumerator of the header
    is in the spec."""
    want = {}   # C name -> value (int or str)
    for d in spec.get('definitions', []):
        if d['type'] == 'const':
            want[c_name(d.get('name-prefix', spec['name'] + '-'),
                        d['name'])] = d['value']
            continue
        if d['type'] != 'enum':
            continue
        prefix = d.get('name-prefix', f"{spec['name']}-{d['name']}-")
        val = d.get('value-start', 0)
        for e in d['entries']:
            e = e if isinstance(e, dict) else {'name': e}
            val = e.get('value', val)
            want[c_name(prefix, e['name'])] = val
            val += 1
        if d.get('render-max'):
            want[c_name(prefix, 'max')] = val - 1
    for s in spec['attribute-sets']:
        prefix = s.get('name-prefix', f"{spec['name']}-a-{s['name']}-")
        for name, val in attr_values(s['name']).items():
            want[c_name(prefix, name)] = val
    ops = spec['operations']
    val = 1
    for op in ops['list']:
        val = op.get('value', val)
        name = op['name']
        if ('notify' in op or 'event' in op) and name.endswith('-ntf'):
            name = name[:-4]        # the kernel reuses the request's id
        want[c_name(ops['name-prefix'], name)] = val
        val += 1
    want[c_name('', spec['c-family-name'])] = spec['name']
    want[c_name('', spec['c-version-name'])] = spec.get('version', 1)
    for g in spec['mcast-groups']['list']:
        want[c_name('', g['c-define-name'])] = g['name']

    src = ['#include <stdio.h>', '#include <linux/dstm.h>', 'int main(void) {']
    for n, v in want.items():
        fmt = '%s' if isinstance(v, str) else '%lld'
        cast = '' if isinstance(v, str) else '(long long)'
        src.append(f'printf("{n}={fmt}\\n", {cast}{n});')
    src.append('return 0; }')
    c = os.path.join(TMPD, 'hdr.c')
    exe = os.path.join(TMPD, 'hdr')
    with open(c, 'w') as f:
        f.write('\n'.join(src) + '\n')
    r = subprocess.run(['cc', '-Wall', '-I', UAPI, '-o', exe, c],
                       capture_output=True, text=True)
    if r.returncode:
        say(False, 'every name the spec implies exists in uapi/linux/dstm.h',
            r.stderr[-3000:])
        return
    got = dict(l.split('=', 1) for l in
               subprocess.run([exe], capture_output=True, text=True,
                              check=True).stdout.splitlines())
    bad = [f'{n}: header {got[n]}, spec {v}' for n, v in want.items()
           if got[n] != str(v)]
    say(not bad, f'uapi/linux/dstm.h has the spec\'s value for all {len(want)} names',
        '\n'.join(bad))

    with open(os.path.join(UAPI, 'linux/dstm.h')) as f:
        text = re.sub(r'/\*.*?\*/', '', f.read(), flags=re.S)
    names = set()
    for body in re.findall(r'enum\s+\w+\s*\{(.*?)\}', text, re.S):
        names |= {m.group(1) for m in re.finditer(r'^\s*(\w+)', body, re.M)}
    names |= set(re.findall(r'#define\s+(DSTM_\w+)', text))
    extra = sorted(n for n in names if not n.startswith('_') and
                   n not in want and not re.fullmatch(r'DSTM_\w+_MAX', n))
    say(not extra, 'every enumerator and define of uapi/linux/dstm.h is in the spec',
        ', '.join(extra))


# ------------------------------------------------- the kernel's own view

TYPE_MAX = {'u8': 0xff, 'u16': 0xffff, 'u32': 0xffffffff,
            'u64': 0xffffffffffffffff}


def expect_policy(a):
    """What nlctrl getpolicy should report for spec attribute a, or None
    for types the kernel does not advertise (NLA_BE32 and friends)."""
    t, ck = a['type'], a.get('checks', {})
    if t in TYPE_MAX:
        if a.get('byte-order') == 'big-endian':
            return None
        return {'type': t, 'min-value-u': ck.get('min', 0),
                'max-value-u': ck.get('max', TYPE_MAX[t])}
    if t == 'string':
        e = {'type': 'string' if ck.get('unterminated-ok') else 'nul-string'}
        if 'max-len' in ck:
            e['max-length'] = ck['max-len']
        return e
    if t == 'binary':
        e = {'type': 'binary'}
        if 'exact-len' in ck:
            e['min-length'] = e['max-length'] = ck['exact-len']
        if 'min-len' in ck:
            e['min-length'] = ck['min-len']
        if 'max-len' in ck:
            e['max-length'] = ck['max-len']
        return e
    if t == 'nest':
        return {'type': 'nested'}
    return {'type': t}


def compare_policy(policies, pid, aset, request, where, bad):
    """Kernel policy pid against the spec: the top level must list exactly
    the request's attributes; in a nest the kernel may accept fewer than the
    set has (the spec cannot give one nest two policies)."""
    vals = attr_values(aset)
    by_val = {v: n for n, v in vals.items()}
    kern = policies.get(pid, {})
    for aid, kp in sorted(kern.items()):
        name = by_val.get(aid)
        if name is None:
            bad.append(f'{where}: kernel accepts attribute {aid}, not in set {aset}')
            continue
        if request is not None and name not in request:
            bad.append(f'{where}: kernel accepts {name}, not in the request')
        a = attr_spec(aset, name)
        exp = expect_policy(a)
        if exp is None:
            bad.append(f'{where}: kernel advertises {name} ({kp}), spec says '
                       'it is big-endian (not advertised)')
            continue
        got = {k: kp[k] for k in exp if k in kp}
        got.update({k: kp[k] for k in ('min-length', 'max-length',
                                        'min-value-u', 'max-value-u')
                    if k in kp and k not in exp and exp['type'] in
                    ('binary', 'nul-string', 'string')})
        if got != exp:
            bad.append(f'{where}.{name}: kernel {kp}, spec implies {exp}')
        if a['type'] == 'nest':
            nset = a['nested-attributes']
            if kp.get('policy-maxtype') != max(attr_values(nset).values()):
                bad.append(f'{where}.{name}: kernel maxtype '
                           f"{kp.get('policy-maxtype')}, spec set {nset} ends at "
                           f'{max(attr_values(nset).values())}')
            compare_policy(policies, kp.get('policy-idx'), nset, None,
                           f'{where}.{name}', bad)
    if request is not None:
        for name in request:
            if vals[name] not in kern and \
                    expect_policy(attr_spec(aset, name)) is not None:
                bad.append(f'{where}: spec requests {name}, kernel policy lacks it')


def kernel():
    nl = YnlFamily(NLCTRL, '')
    fam = nl.do('getfamily', {'family-name': spec['name']})
    say(fam['version'] == spec.get('version', 1),
        f"family version {fam['version']} is the spec's",
        f"spec {spec.get('version', 1)}")
    dev_max = max(attr_values('dev').values())
    say(fam['maxattr'] == dev_max, f"family maxattr {fam['maxattr']} = last attribute of set dev",
        f'spec {dev_max}')
    groups = sorted(list(g.values())[0]['name'] for g in fam['mcast-groups'])
    want = sorted(g['name'] for g in spec['mcast-groups']['list'])
    say(groups == want, f'multicast groups {groups}', f'spec {want}')

    kops = {}
    for o in fam['ops']:
        o = list(o.values())[0]
        kops[o['id']] = set(o['flags']) if isinstance(o['flags'], (set, list)) \
            else set(re.findall(r"'([\w-]+)'", str(o['flags'])))
    calls = {op['value']: op for op in spec['operations']['list']
             if 'do' in op or 'dump' in op}
    say(set(kops) == set(calls), f'kernel ops {sorted(kops)} are the spec\'s do/dump ops',
        f'spec {sorted(calls)}')
    bad = []
    for v, op in calls.items():
        f = kops.get(v, set())
        for mode in ('do', 'dump'):
            if (mode in op) != (f'cmd-cap-{mode}' in f):
                bad.append(f"{op['name']}: {mode} spec {mode in op}, kernel {f}")
        for perm in ('admin-perm', 'uns-admin-perm'):
            if (perm in op.get('flags', [])) != (perm in f):
                bad.append(f"{op['name']}: {perm} spec "
                           f"{perm in op.get('flags', [])}, kernel {f}")
    say(not bad, 'every op: do/dump and permission flags as in the spec',
        '\n'.join(bad))

    policies, op_pol = {}, {}
    for m in nl.dump('getpolicy', {'family-name': spec['name']}):
        if 'op-policy' in m:
            p = m['op-policy']
            op_pol[p['op-id']] = p
        elif 'policy' in m:
            p = m['policy']
            policies.setdefault(p['policy-id'], {})[p['attr-id']] = p
    bad = []
    for v, op in calls.items():
        for mode in ('do', 'dump'):
            if mode not in op:
                continue
            pid = op_pol.get(v, {}).get(mode)
            if pid is None:
                bad.append(f"{op['name']} {mode}: kernel has no policy")
                continue
            req = op[mode].get('request', {}).get('attributes', [])
            compare_policy(policies, pid, op['attribute-set'], req,
                           f"{op['name']} {mode}", bad)
    say(not bad, 'kernel policies (nlctrl getpolicy) match the spec\'s request '
        'attributes and checks', '\n'.join(bad))


# ---------------------------------------------------------- behaviour

def ynl():
    return YnlFamily(SPEC, '')


def err_of(fn, *a, **kw):
    try:
        r = fn(*a, **kw)
    except NlError as e:
        return e
    raise AssertionError(f'succeeded, expected an error: {r}')


def wait_ntf(y, name, timeout):
    end = time.time() + timeout
    while time.time() < end:
        y.check_ntf()
        for m in y.async_msg_queue:
            if m['name'] == name:
                return m
        time.sleep(0.1)
    return None


def events():
    y, ear = ynl(), ynl()
    ear.ntf_subscribe('events')
    # map-expired: the kernel removes a mapping whose lifetime ran out.
    y.do('map-new', {'ifname': 'dstm0',
                     'map': {'ipv4': int.from_bytes(bytes([198, 51, 100, 99]), 'big'),
                             'ipv6': '20010db8000000000000000000000099',
                             'lifetime': 1}})
    m = wait_ntf(ear, 'map-expired', 6)
    say(m is not None and m['msg']['map']['ipv4'] == '198.51.100.99' and
        m['msg']['map']['ipv6'] == '2001:db8::99' and
        m['msg']['ifname'] == 'dstm0',
        'map-expired (command 8) decodes: 198.51.100.99 -> 2001:db8::99',
        ear.async_msg_queue)
    ear.async_msg_queue.clear()

    # addr-needed: a client with no address is asked to send.
    subprocess.run(['ping', '-c1', '-W1', '192.0.2.2'], capture_output=True)
    m = wait_ntf(ear, 'addr-needed', 5)
    say(m is not None and m['msg'].get('dst') == '192.0.2.2' and
        m['msg']['ifname'] == 'dstm1',
        'addr-needed (command 7) decodes: dstm1 needs an address for 192.0.2.2',
        ear.async_msg_queue)
    d = y.do('dev-get', {'ifname': 'dstm1'})
    say(d['stats']['addr-needed'] >= 1 and d['stats']['queued'] >= 1,
        'dstm1 stats: addr-needed and queued counted', d['stats'])


def errors():
    y = ynl()
    e = err_of(y.do, 'map-new', {'ifname': 'dstm0'})
    say(e.nl_msg.extack.get('miss-type') == 'map' and
        e.nl_msg.extack.get('msg') == 'missing mapping (DSTM_A_MAP)',
        'map-new without a map: extack names the missing attribute "map"',
        e.nl_msg.extack)
    key = {'ipv4': 0xc6336464, 'ipv6': '20010db8000000000000000000000064'}
    y.do('map-new', {'ifname': 'dstm0', 'map': key})
    e = err_of(y.do, 'map-new', {'ifname': 'dstm0', 'map': key})
    say(e.error == 17 and e.nl_msg.extack.get('msg') == 'mapping already exists',
        'map-new of an existing key without replace: EEXIST "mapping already exists"',
        e.nl_msg.extack)
    y.do('map-new', {'ifname': 'dstm0', 'map': key, 'replace': True})
    y.do('map-del', {'ifname': 'dstm0', 'map': {'ipv4': key['ipv4']}})
    say(True, 'map-new with replace on an existing key, then map-del: accepted')
    e = err_of(y.do, 'dev-set', {'ifname': 'dstm1', 'hoplimit': 0})
    say(e.nl_msg.extack.get('bad-attr') == '.hoplimit' and
        e.nl_msg.extack.get('msg') == 'integer out of range',
        'dev-set hoplimit 0: "integer out of range" at .hoplimit',
        e.nl_msg.extack)
    e = err_of(y.do, 'map-new', {'ifname': 'dstm0',
                                 'map': {'ipv4': 0xc6336401, 'ipv6': '20010db8'}})
    say(e.nl_msg.extack.get('bad-attr') == '.map.ipv6' and
        e.nl_msg.extack.get('msg') == 'binary attribute size out of range',
        'map-new with a 4-byte ipv6: rejected at .map.ipv6', e.nl_msg.extack)
    e = err_of(y.do, 'dev-get', {'ifname': 'x' * 16})
    say(e.nl_msg.extack.get('bad-attr') == '.ifname',
        'dev-get with a 16-character ifname: rejected at .ifname (max-len 15)',
        e.nl_msg.extack)
    e = err_of(y.do, 'dev-get', {'ifname': 'x' * 15})
    say(e.nl_msg.extack.get('msg') == 'no device with this name',
        'dev-get with a 15-character ifname passes the policy: "no device with this name"',
        e.nl_msg.extack)
    e = err_of(y.do, 'map-get', {'ifname': 'dstm0',
                                 'map': {'ipv4': 0xc6336401, 'ipv6': '20010db8000000000000000000000001'}})
    say(e.nl_msg.extack.get('msg') == 'Unsupported attribute' and
        e.nl_msg.extack.get('bad-attr') == '.map.ipv6',
        'map-get with ipv6 in its key: "Unsupported attribute" (the key-only nest policy)',
        e.nl_msg.extack)


def perms():
    """As nobody: every op the spec marks admin-only answers EPERM, and so
    does joining the events group if the spec gives it a permission flag."""
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rfd)
        out = []
        try:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            y = ynl()
            for op in spec['operations']['list']:
                for mode in ('do', 'dump'):
                    if mode not in op:
                        continue
                    try:
                        getattr(y, mode)(op['name'], {'ifname': 'dstm0'})
                        out.append([op['name'], mode, 0])
                    except NlError as e:
                        out.append([op['name'], mode, e.error])
            try:
                ynl().ntf_subscribe('events')   # a socket not bound yet
                out.append(['events', 'subscribe', 0])
            except OSError as e:
                out.append(['events', 'subscribe', e.errno])
        except Exception:
            out.append(['child', traceback.format_exc(), -1])
        os.write(wfd, json.dumps(out).encode())
        os._exit(0)
    os.close(wfd)
    data = b''
    while True:
        chunk = os.read(rfd, 65536)
        if not chunk:
            break
        data += chunk
    os.waitpid(pid, 0)
    res = json.loads(data)
    bad = []
    ops = {op['name']: op for op in spec['operations']['list']}
    for name, mode, err in res:
        if name == 'child':
            bad.append(mode)
        elif name == 'events':
            flags = spec['mcast-groups']['list'][0].get('flags', [])
            want = 1 if flags else 0     # EPERM
            if err != want:
                bad.append(f'subscribe to events as nobody: errno {err}, spec flags {flags}')
        else:
            perm = set(ops[name].get('flags', [])) & {'admin-perm', 'uns-admin-perm'}
            if bool(perm) != (err == 1):
                bad.append(f'{name} {mode} as nobody: errno {err}, spec flags {perm}')
    say(not bad, 'as an unprivileged user: EPERM exactly where the spec\'s '
        'flags say (every op, the events group)', '\n'.join(bad))


def dumps():
    y = ynl()
    devs = y.dump('dev-get', {})
    names = sorted(d['ifname'] for d in devs)
    say(names == ['dstm0', 'dstm1'], f'dev-get dump: {names}', devs)
    reply = next(op for op in spec['operations']['list']
                 if op['name'] == 'dev-get')['do']['reply']['attributes']
    # The fast-path set is sent only when it is not empty.
    optional = {'fastpath'}
    bad = [f"{d['ifname']}: {sorted(set(reply) ^ set(d))}" for d in devs
           if not set(reply) - optional <= set(d) <= set(reply)]
    say(not bad, 'dev-get replies carry exactly the reply attributes of the spec',
        '\n'.join(bad))
    drops = set(attr_values('drops')) - {'unspec', 'pad'}
    stats = set(attr_values('stats')) - {'unspec', 'pad'}
    say(all(set(d['drops']) == drops and set(d['stats']) == stats for d in devs),
        'stats and drops nests carry every counter of their sets', devs[0])


def listen():
    """Collect the events group until told to stop (listen_start/stop)."""
    y = ynl()
    y.ntf_subscribe('events')
    open(os.path.join(TMPD, 'listen.ready'), 'w').close()
    stop = os.path.join(TMPD, 'listen.stop')
    while not os.path.exists(stop):
        y.check_ntf()
        time.sleep(0.1)
    time.sleep(0.5)
    y.check_ntf()
    with open(os.path.join(TMPD, 'ntf.json'), 'w') as f:
        json.dump(y.async_msg_queue, f, default=str)


PARTS = dict(listen=[listen], static=[schema, header], kernel=[kernel],
             behaviour=[events, errors, perms, dumps])
for p in sys.argv[1:]:
    for fn in PARTS[p]:
        part(fn)
PYEOF
export SPEC SCHEMA YNL_ROOT TMPD UAPI=$TOPO_TOP/uapi

# ------------------------------------------------------------ static checks
check "module loads" topo_modprobe
check "namespace $NS" ns_add "$NS"
pyparts static

# ----------------------------------------------------------------- devices
TEP6=2001:db8:100::1
CL6=2001:db8:1::2
MAP4=198.51.100.10
SH4=198.51.100.20
SH6=2001:db8:2::2
CADDR=198.51.100.77

check "dstm0 and dstm1, a dummy underlay" nsip "$NS" <<EOF
link add dstm0 type dstm
link add dstm1 type dstm
link add d0 type dummy
link set d0 up
addr add 2001:db8:1::1/64 dev d0 nodad
addr add 2001:db8:2::1/64 dev d0 nodad
addr add $TEP6/128 dev lo
addr add 203.0.113.1/32 dev lo
EOF
IDX0=$(ip -n "$NS" -j link show dstm0 | jq '.[0].ifindex')

pyparts kernel

# ------------------------------------------------------ the CLI, command by command
check "ynl dev-set dstm0: mode tep, local $TEP6, hoplimit 17" \
	ynl --do dev-set --json "{\"ifname\": \"dstm0\", \"mode\": \"tep\",
		\"local\": \"$(ip6hex $TEP6)\", \"hoplimit\": 17}"
check "ynl dev-get dstm0 (do)" ynl_to "$TMPD/dev0" --do dev-get --json "{\"ifindex\": $IDX0}"
check "dev-get: ifindex, ifname, mode tep, local $TEP6, hoplimit 17" jqeq "$TMPD/dev0" \
	'[.ifindex, .ifname, .mode, .local, .hoplimit, .tep, .addr] | join(" ")' \
	"$IDX0 dstm0 tep $TEP6 17 :: 0.0.0.0"
check "dstmctl reads back what ynl set" eq \
	"$(ctl "$NS" -j show dstm0 | jq -r '.[0] | [.mode, .local, .hoplimit] | join(" ")')" \
	"tep $TEP6 17"

check "ynl dev-set dstm1: client, tep, addr $CADDR, port set 4/6/45, queue 7/1500" \
	ynl --do dev-set --json "{\"ifname\": \"dstm1\", \"mode\": \"client\",
		\"tep\": \"$(ip6hex $TEP6)\", \"addr\": $(ip2int $CADDR),
		\"psid-offset\": 4, \"psid-len\": 6, \"psid\": 45,
		\"queue-len\": 7, \"queue-timeout\": 1500}"
check "ynl dev-get dstm1" ynl_to "$TMPD/dev1" --do dev-get --json '{"ifname": "dstm1"}'
check "dev-get dstm1: ipv4 addr shows as $CADDR, tep, port set, queue" jqeq "$TMPD/dev1" \
	'[.mode, .addr, .tep, ."psid-offset", ."psid-len", .psid, ."queue-len", ."queue-timeout"] | join(" ")' \
	"client $CADDR $TEP6 4 6 45 7 1500"
check "dstmctl agrees on the byte order of addr" eq \
	"$(ctl "$NS" -j show dstm1 | jq -r '.[0] | [.addr, .psid] | join(" ")')" "$CADDR 45"

check "a listener on the events group" listen_start
check "ynl map-new $MAP4 -> $CL6, lifetime 300" \
	ynl --do map-new --json \
	"{\"ifname\": \"dstm0\", \"map\": {\"ipv4\": $(ip2int $MAP4),
		\"ipv6\": \"$(ip6hex $CL6)\", \"lifetime\": 300}}"
check "dstmctl sees the mapping ynl made" eq \
	"$(ctl "$NS" -j map show dstm0 | jq -r '.[0] | [.ipv4, .ipv6] | join(" ")')" "$MAP4 $CL6"
check "dstmctl map add $SH4 psid 3 psid-len 4 -> $SH6" \
	ctl "$NS" map add dstm0 ipv4 "$SH4" ipv6 "$SH6" psid 3 psid-len 4

check "ynl map-get (do) $SH4 psid 3" ynl_to "$TMPD/get" --do map-get --json \
	"{\"ifname\": \"dstm0\", \"map\": {\"ipv4\": $(ip2int $SH4), \"psid\": 3}}"
check "map-get: $SH4 psid 3/4 offset 6 -> $SH6, permanent, unused" jqeq "$TMPD/get" \
	'.map | [.ipv4, .ipv6, .psid, ."psid-len", ."psid-offset", .lifetime, .expires, ."last-use", ."tx-packets"] | map(tostring) | join(" ")' \
	"$SH4 $SH6 3 4 6 0 null null 0"

# One 84-byte ping to the mapped address: encapsulated towards the dummy.
ip -n "$NS" link set dstm0 up
ip -n "$NS" route add 198.51.100.0/24 dev dstm0
ip netns exec "$NS" ping -c1 -W1 "$MAP4" >/dev/null 2>&1
check "ynl map-get (dump)" ynl_to "$TMPD/dump" --dump map-get --json '{"ifname": "dstm0"}'
check "map-get dump: both mappings, in insertion order" jqeq "$TMPD/dump" \
	'map(.map.ipv4) | join(" ")' "$MAP4 $SH4"
check "dump: $MAP4 counted one 84-byte packet out, has expires and last-use" jqeq "$TMPD/dump" \
	'.[0].map | [."tx-packets", ."tx-bytes", ."rx-packets", (.expires > 0 and .expires <= 300), (."last-use" >= 0)] | map(tostring) | join(" ")' \
	"1 84 0 true true"

CL6B=2001:db8:1::3
check "ynl map-new with replace: renew $MAP4 -> $CL6B, lifetime 600" \
	ynl --do map-new --json \
	"{\"ifname\": \"dstm0\", \"replace\": true, \"map\": {\"ipv4\": $(ip2int $MAP4),
		\"ipv6\": \"$(ip6hex $CL6B)\", \"lifetime\": 600}}"
check "ynl map-get (do) $MAP4 after the renewal" ynl_to "$TMPD/renewed" --do map-get \
	--json "{\"ifname\": \"dstm0\", \"map\": {\"ipv4\": $(ip2int $MAP4)}}"
check "renewed: new ipv6, lifetime 600, counters kept" jqeq "$TMPD/renewed" \
	'.map | [.ipv4, .ipv6, .lifetime, ."tx-packets"] | map(tostring) | join(" ")' \
	"$MAP4 $CL6B 600 1"

check "ynl map-del $SH4 psid 3" ynl --do map-del \
	--json "{\"ifname\": \"dstm0\", \"map\": {\"ipv4\": $(ip2int $SH4), \"psid\": 3}}"
check_not "ynl map-get of the deleted mapping fails" ynl_to "$TMPD/gone" --do map-get \
	--json "{\"ifname\": \"dstm0\", \"map\": {\"ipv4\": $(ip2int $SH4), \"psid\": 3}}"
check "... with the kernel's extack \"no such mapping\"" contains "$TMPD/gone" \
	"'msg': 'no such mapping'"

check "ynl map-flush" ynl --do map-flush --json '{"ifname": "dstm0"}'
check "the listener stops" listen_stop
check "notifications, in order: new, new, renewal (new), del, flush (del)" jqeq "$TMPD/ntf.json" \
	'map(.name + " " + .msg.map.ipv4) | join(", ")' \
	"map-new-ntf $MAP4, map-new-ntf $SH4, map-new-ntf $MAP4, map-del-ntf $SH4, map-del-ntf $MAP4"
check "map-new-ntf decodes: dstm0, $MAP4 -> $CL6, lifetime 300" jqeq "$TMPD/ntf.json" \
	'.[0].msg | [.ifindex, .ifname, .map.ipv4, .map.ipv6, .map.lifetime] | map(tostring) | join(" ")' \
	"$IDX0 dstm0 $MAP4 $CL6 300"
check "renewal's map-new-ntf: new ipv6, lifetime 600, counters kept" jqeq "$TMPD/ntf.json" \
	'.[2].msg.map | [.ipv6, .lifetime, ."tx-packets"] | map(tostring) | join(" ")' \
	"$CL6B 600 1"
check "map-del-ntf decodes the port set: $SH4 psid 3/4 offset 6" jqeq "$TMPD/ntf.json" \
	'.[3].msg.map | [.ipv4, .psid, ."psid-len", ."psid-offset"] | map(tostring) | join(" ")' \
	"$SH4 3 4 6"
check "ynl map-get dump after the flush" ynl_to "$TMPD/dump2" --dump map-get --json '{"ifname": "dstm0"}'
check "... is empty" jqeq "$TMPD/dump2" 'length' 0

# --------------------------------------------------- events, errors, perms
# dstm1 loses its address: the next packet waits and asks for one.
ynl --do dev-set --json '{"ifname": "dstm1", "addr": 0}' >/dev/null
ip -n "$NS" link set dstm1 up
ip -n "$NS" route add 192.0.2.0/24 dev dstm1
pyparts behaviour

topo_done
