#!/bin/sh
# The demo: mcgwd in a gateway namespace serves dhclient, udhcpc and
# dhcpcd in three client namespaces; mcgwctl shows the leases; then
# everything is removed.  Needs root; touches only its own namespaces.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/mcgwd-demo.XXXXXX)
cd "$work" || exit 1

# netlib.sh is written for atf-sh; these two stand in for it here.
atf_get_srcdir() { echo "$top/regress/net"; }
atf_fail() { echo "demo: $*" >&2; exit 1; }
. "$top/regress/net/netlib.sh"

trap 'touch "$work/stop.now"; net_cleanup; rm -rf "$work"' EXIT INT TERM

echo "== network namespaces: gateway ${NS:-mg$$}gw, clients c1 c2 c3"
net_setup 3
write_conf
write_client_script
echo "== mcgwd.conf"
cat mcgwd.conf
echo "== starting mcgwd in the gateway namespace"
mcgwd_start
mcgwctl show status

echo "== dhclient in c1"
dhclient_run "${NS}c1" -1 eth0 >/dev/null 2>&1 || atf_fail "dhclient failed"
echo "== udhcpc in c2"
udhcpc_run "${NS}c2" -f -q -n -t 5 -T 1 >/dev/null 2>&1 ||
    atf_fail "udhcpc failed"
echo "== dhcpcd in c3"
dhcpcd_run "${NS}c3" "dhcpcd -4 -1 -w -t 10 eth0" >/dev/null 2>&1 ||
    atf_fail "dhcpcd failed"

for i in 1 2 3; do
	echo "client c$i has $(addr_of "${NS}c$i") on eth0"
done
echo "== mcgwctl show leases"
mcgwctl show leases
echo "== mcgwctl -j show leases"
mcgwctl -j show leases
echo "== stopping mcgwd"
mcgwd_stop TERM
tail -n 5 mcgwd.log
echo "== done; removing the namespaces"
