#!/bin/sh
# Installs the Debian packages that building and testing mcgwd need, and
# creates the unprivileged user of the engines.  Safe to run again.
set -eu

PKGS="build-essential pkg-config bison libbsd-dev libevent-dev \
libpcap-dev libsodium-dev libseccomp-dev libmnl-dev libnftnl-dev \
libcap-dev kyua atf-sh libatf-dev isc-dhcp-client udhcpc dhcpcd-base \
iproute2 nftables iputils-ping mandoc clang libclang-rt-14-dev tcpdump \
kea-admin python3-scapy"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps.sh: missing packages:$missing; run as root" >&2
		exit 1
	fi
	echo "deps.sh: installing$missing"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends $missing
fi

if ! getent passwd _mcgwd >/dev/null; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps.sh: user _mcgwd is missing; run as root" >&2
		exit 1
	fi
	useradd --system --no-create-home --home-dir /nonexistent \
	    --shell /usr/sbin/nologin --user-group _mcgwd
	echo "deps.sh: created user _mcgwd"
elif [ -z "$missing" ]; then
	echo "deps.sh: all packages and the user _mcgwd are already present"
fi
