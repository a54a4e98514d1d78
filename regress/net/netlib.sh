# Helpers for the namespace tests, sourced by each atf-sh program.
#
# Topology: a gateway namespace with a bridge "lan0" (the LAN mcgwd
# serves) and one veth port per client namespace; each client namespace
# sees its end as "eth0".  Everything lives in the test's work directory
# (the current directory) and in namespaces named after the test's PID,
# and net_cleanup removes them.  Nothing runs in the root namespace.

top=$(cd "$(atf_get_srcdir)/../.." && pwd)
BUILD="$top/build/bin"
MCGWD="$BUILD/mcgwd"
MCGWCTL="$BUILD/mcgwctl"

# Writes the namespace prefix once, so that the cleanup finds it.
net_init()
{
	[ -f ns.prefix ] || echo "mg$$" >ns.prefix
	NS=$(cat ns.prefix)
	GW="${NS}gw"
	mkdir -p state
	# A command, not a function, so that atf_check can run it.
	printf '#!/bin/sh\nexec "%s" -s "%s" "$@"\n' "$MCGWCTL" \
	    "$PWD/ctl.sock" >mcgwctl
	chmod +x mcgwctl
}

# fail_log MESSAGE: fails the test with mcgwd's log on stderr, because
# kyua removes the work directory and the log with it.
fail_log()
{
	echo "--- mcgwd.log" >&2
	cat mcgwd.log >&2 2>/dev/null
	atf_fail "$1"
}

ns_exec()
{
	ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# net_setup N: the gateway namespace and N client namespaces c1..cN.
net_setup()
{
	net_init
	ip netns add "$GW"
	echo "$GW" >>ns.list
	ns_exec "$GW" ip link set lo up
	ns_exec "$GW" ip link add lan0 type bridge
	ns_exec "$GW" ip link set lan0 up
	i=1
	while [ "$i" -le "$1" ]; do
		c="${NS}c$i"
		ip netns add "$c"
		echo "$c" >>ns.list
		ns_exec "$c" ip link set lo up
		ip -n "$c" link add eth0 type veth peer name "p$i" netns "$GW"
		ip -n "$c" link set eth0 address "02:00:00:00:00:0$i"
		ns_exec "$GW" ip link set "p$i" master lan0 up
		ns_exec "$c" ip link set eth0 up
		i=$((i + 1))
	done
}

# The gateway's configuration; extra statements for the lan0 block
# come as arguments.
write_conf()
{
	cat >mcgwd.conf <<EOF
state-directory "$PWD/state"
uplink "wan0"
mode routed
framed-route 10.20.30.0/24
hold-down 30

interface "lan0" {
	address 10.20.30.1/24
	range 10.20.30.100 10.20.30.199
	lease-time ${LEASE_TIME:-3600}
	option domain-name-servers 10.20.30.1
	$*
}
EOF
}

mcgwctl()
{
	./mcgwctl "$@"
}

# Starts mcgwd in the gateway namespace and waits until dhcpd serves.
# It runs with -v unless MCGWD_BRIEF is set.
mcgwd_start()
{
	verbose=-v
	[ -z "${MCGWD_BRIEF:-}" ] || verbose=
	# Not through ns_exec: $! must be mcgwd itself, not a subshell.
	ip netns exec "$GW" "$MCGWD" -d $verbose -f "$PWD/mcgwd.conf" \
	    -s "$PWD/ctl.sock" >>mcgwd.log 2>&1 &
	echo $! >mcgwd.pid
	echo $! >>pids.list
	i=0
	while [ $i -lt 100 ]; do
		if mcgwctl -j show status 2>/dev/null |
		    grep -q '"dhcpd": *"ready"'; then
			return 0
		fi
		kill -0 "$(cat mcgwd.pid)" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	cat mcgwd.log >&2
	atf_fail "mcgwd did not become ready"
}

# mcgwd_stop SIGNAL: signals the parent and waits for all three
# processes to be gone.
mcgwd_stop()
{
	pid=$(cat mcgwd.pid)
	engines=$(pgrep -P "$pid" 2>/dev/null)
	kill "-$1" "$pid" 2>/dev/null
	for p in $pid $engines; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -0 "$p" 2>/dev/null && atf_fail "process $p did not exit"
	done
	return 0
}

# The client hook script: records each event and configures the address
# itself, so that no stock script touches /etc/resolv.conf or the host
# name.  It understands dhclient's and dhcpcd's $reason and udhcpc's $1.
write_client_script()
{
	cat >client-script <<'EOF'
#!/bin/sh
log="@LOG@"
case "${1:-}" in
bound|renew)
	echo "$1 $ip" >>"$log"
	ip addr flush dev "$interface"
	ip addr add "$ip/${mask:-24}" dev "$interface"
	exit 0 ;;
deconfig)
	ip addr flush dev "$interface"
	exit 0 ;;
leasefail|nak)
	echo "$1" >>"$log"
	exit 0 ;;
esac
echo "$reason ${new_ip_address:-} ${old_ip_address:-}" >>"$log"
case "$reason" in
PREINIT)
	ip link set "$interface" up ;;
BOUND|RENEW|REBIND|REBOOT)
	if [ -n "${new_subnet_mask:-}" ] && [ -n "${old_ip_address:-}" ] &&
	    [ "$old_ip_address" != "$new_ip_address" ]; then
		ip addr del "$old_ip_address/$new_subnet_mask" \
		    dev "$interface" 2>/dev/null
	fi
	if [ -n "${new_subnet_mask:-}" ]; then
		ip addr replace "$new_ip_address/$new_subnet_mask" \
		    dev "$interface"
	fi ;;
EXPIRE|FAIL|RELEASE|STOP)
	if [ -n "${old_ip_address:-}" ] && [ -n "${old_subnet_mask:-}" ]; then
		ip addr del "$old_ip_address/$old_subnet_mask" \
		    dev "$interface" 2>/dev/null
	fi ;;
esac
exit 0
EOF
}

# client_script NS: the hook script of one client namespace, which logs
# to events.NS (dhcpcd's private /run hides "ip netns identify").
client_script()
{
	sed "s|@LOG@|$PWD/events.$1|" client-script >"client-script.$1"
	chmod +x "client-script.$1"
	echo "$PWD/client-script.$1"
}

# dhclient_run NS ARGS...: dhclient with private lease, pid and script.
dhclient_run()
{
	c=$1
	shift
	ns_exec "$c" dhclient -4 -sf "$(client_script "$c")" \
	    -lf "$PWD/dhclient.$c.leases" -pf "$PWD/dhclient.$c.pid" "$@"
}

# udhcpc_run NS ARGS...
udhcpc_run()
{
	c=$1
	shift
	ns_exec "$c" udhcpc -i eth0 -s "$(client_script "$c")" "$@"
}

# udhcpc_start NS ARGS...: udhcpc in the background; its PID goes to
# udhcpc.NS.pid, so that signals reach udhcpc and not a subshell.
udhcpc_start()
{
	c=$1
	shift
	script=$(client_script "$c")
	ip netns exec "$c" udhcpc -i eth0 -s "$script" "$@" \
	    >"udhcpc.$c.out" 2>&1 &
	echo $! >"udhcpc.$c.pid"
	echo $! >>pids.list
}

# dhcpcd_run NS COMMANDS: runs shell commands in the client namespace
# with private /run and /var/lib/dhcpcd, where "dhcpcd" is the client
# with this test's configuration and hook script.
dhcpcd_run()
{
	c=$1
	shift
	mkdir -p "dhcpcd.$c/run" "dhcpcd.$c/lib"
	cat >dhcpcd.conf <<'EOF'
noarp
noipv6rs
ipv4only
option domain_name_servers, domain_name, subnet_mask, routers
nohook resolv.conf, hostname, ntp.conf, timesyncd.conf, ypbind
EOF
	ns_exec "$c" unshare -m sh -c "
		mount --bind '$PWD/dhcpcd.$c/run' /run &&
		mount --bind '$PWD/dhcpcd.$c/lib' /var/lib/dhcpcd &&
		dhcpcd() { command dhcpcd -f '$PWD/dhcpcd.conf' \
		    -c '$(client_script "$c")' \"\$@\"; } && $*"
}

# wait_event NS PATTERN SECONDS: waits for a client event matching
# the extended regular expression.
wait_event()
{
	i=0
	while [ $i -lt $(($3 * 10)) ]; do
		grep -Eq "$2" "events.$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "events of $1:" >&2
	cat "events.$1" >&2 2>/dev/null
	atf_fail "$1: no event matching '$2' within $3 s"
}

# The lease end time that `show leases` lists for an address.
lease_end()
{
	mcgwctl -j show leases "$1" |
	    sed -n 's/.*"end": *"\([^"]*\)".*/\1/p' | head -n 1
}

# The address that `show leases` lists for a MAC, or nothing.
lease_of()
{
	mcgwctl -j show leases | tr '{' '\n' | grep -i "\"mac\": *\"$1\"" |
	    grep '"state": *"active"' |
	    sed -n 's/.*"address": *"\([0-9.]*\)".*/\1/p' | head -n 1
}

# The IPv4 address configured on eth0 in a client namespace.
addr_of()
{
	ns_exec "$1" ip -4 -o addr show dev eth0 |
	    sed -n 's/.* inet \([0-9.]*\)\/.*/\1/p' | head -n 1
}

net_cleanup()
{
	if [ -f pids.list ]; then
		for p in $(cat pids.list); do
			kill -TERM "$p" 2>/dev/null
		done
		sleep 0.5
		for p in $(cat pids.list); do
			kill -KILL "$p" 2>/dev/null
		done
	fi
	for f in dhclient.*.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	if [ -f ns.list ]; then
		for n in $(cat ns.list); do
			# Ends what this test started inside its namespaces.
			for p in $(ip netns pids "$n" 2>/dev/null); do
				kill -KILL "$p" 2>/dev/null
			done
			ip netns del "$n" 2>/dev/null
		done
	fi
	return 0
}
