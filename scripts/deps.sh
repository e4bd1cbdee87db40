#!/bin/bash
# Install everything the project needs on a Debian 12 (bookworm) machine:
# toolchain, libraries, QEMU, and the two kernels we support (6.1 from
# bookworm, 6.12 from bookworm-backports) with their headers and sources.
# Idempotent: a second run is quick when everything is already there.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
BPO_LIST=/etc/apt/sources.list.d/dstm-bookworm-backports.sources

need_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "deps: must run as root to install packages" >&2
		exit 1
	fi
}

need_root

if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	cat > "$BPO_LIST" <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	rm -f /var/lib/dstm-deps.stamp
fi

STAMP=/var/lib/dstm-deps.stamp
WANT_REV=8
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT_REV" ] && [ "${DSTM_DEPS_FORCE:-0}" = 0 ]; then
	exit 0
fi

apt-get update -q || apt-get update -q || true

# The versioned kernel packages behind the metapackages of each suite.
kpkg() { # suite meta -> versioned package name
	apt-cache depends "$2/$1" 2>/dev/null | awk '/Depends: linux-(image|headers)-[0-9]/ {print $2; exit}'
}
K61_IMG=$(kpkg bookworm linux-image-amd64)
K61_HDR=$(kpkg bookworm linux-headers-amd64)
K612_IMG=$(kpkg bookworm-backports linux-image-amd64)
K612_HDR=$(kpkg bookworm-backports linux-headers-amd64)
for p in K61_IMG K61_HDR K612_IMG K612_HDR; do
	if [ -z "${!p}" ]; then
		echo "deps: cannot resolve $p from apt metadata" >&2
		exit 1
	fi
done
SRC612=$(apt-cache search --names-only '^linux-source-6\.12$' | awk '{print $1; exit}')

apt-get install -y -q --no-install-recommends \
	build-essential rsync pkg-config gcc make bc flex bison libelf-dev kmod cpio xz-utils zstd \
	libnl-3-dev libnl-genl-3-dev libnl-route-3-dev libnl-nf-3-dev \
	libsqlite3-dev libssl-dev libinih-dev libldns-dev \
	qemu-system-x86 busybox-static \
	sparse perl python3 python3-yaml python3-jsonschema jq \
	tcpdump socat netcat-openbsd iputils-ping procps ethtool iperf3 \
	nftables conntrack \
	clang llvm libclang-rt-14-dev \
	kea-dhcp4-server kea-dhcp6-server \
	bind9-dnsutils knot-dnsutils dnsperf knot nsd \
	"$K61_IMG" "$K61_HDR" linux-source-6.1

apt-get install -y -q --no-install-recommends -t bookworm-backports \
	"$K612_IMG" "$K612_HDR" iproute2 ${SRC612:-linux-source-6.12}

# Kea, Knot and NSD are only run by the tests and benchmarks, in their own
# namespaces: never as the system's DHCP or DNS service.
if command -v systemctl >/dev/null; then
	systemctl disable --now kea-dhcp4-server kea-dhcp6-server knot nsd >/dev/null 2>&1 || true
fi

echo "$WANT_REV" > "$STAMP"
