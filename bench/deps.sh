#!/bin/sh
# Installs the peers and the load generator of the benchmark: Kea's
# DHCPv4 server, perfdhcp (in kea-admin) and the dnsmasq binary without
# its system service.  No DHCP server may start in the root namespace,
# so a policy-rc.d that forbids every service start is put in place for
# the install when the machine has none, and removed afterwards.
set -eu

PKGS="kea-dhcp4-server kea-admin dnsmasq-base eatmydata"
POLICY=/usr/sbin/policy-rc.d

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "bench/deps.sh: missing packages:$missing; run as root" >&2
	exit 1
fi

ours=0
if [ ! -e "$POLICY" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$POLICY"
	chmod 0755 "$POLICY"
	ours=1
fi
cleanup()
{
	[ "$ours" -eq 1 ] && rm -f "$POLICY"
	return 0
}
trap cleanup EXIT INT TERM

echo "bench/deps.sh: installing$missing"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends $missing

# The package's unit may be enabled even though it did not start; the
# benchmark runs its own instances only, inside namespaces.
if command -v systemctl >/dev/null 2>&1; then
	systemctl disable --now kea-dhcp4-server.service >/dev/null 2>&1 ||
	    true
fi
