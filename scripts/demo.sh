#!/bin/sh
# The demo: mcgwd in a gateway namespace serves dhclient, udhcpc and
# dhcpcd in three client namespaces; mcgwctl shows the leases; the
# client in c1 authorises a GW MC service ID and mcgwctl shows the
# binding; then
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
"$top/build/bin/mcgw-client" keygen alice.key >alice.pub ||
    atf_fail "mcgw-client keygen failed"
{
	printf '\nauthorisation {\n\tlisten on "lan0"\n'
	printf '\tservice-id "sip:alice@mc.example" key "%s"\n}\n' \
	    "$(cat alice.pub)"
} >>mcgwd.conf
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
echo "== mcgw-client authorise sip:alice@mc.example from c1"
gwkey=$(mcgwctl -j show status |
    sed -n 's/.*"public_key": *"\([^"]*\)".*/\1/p')
ns_exec "${NS}c1" "$top/build/bin/mcgw-client" -g 10.20.30.1 \
    -k alice.key -P "$gwkey" authorise "sip:alice@mc.example" ||
    atf_fail "authorisation failed"
echo "== mcgwctl show bindings"
mcgwctl show bindings
echo "== mcgwctl -j show bindings"
mcgwctl -j show bindings
echo "== stopping mcgwd"
mcgwd_stop TERM
tail -n 5 mcgwd.log
echo "== done; removing the namespaces"
