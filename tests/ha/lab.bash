# lab.bash - the two-node lab of tests/ha/appliance.bats: two appliance
# nodes booted from build/image/root.img under User-Mode Linux, wired to two
# bridges inside a network namespace this file creates, and the helpers the
# scenarios use to reach them, break them and look at them.
#
# Network (all inside namespace $HA_NS, nothing outside it is touched):
#   br-pub   192.0.2.0/24: each node's bond0 (two NICs, vec0 and vec1), the
#            floating IP 192.0.2.10; the namespace's own addresses .1, .53
#            and .254 are the gateway and the three ping targets, and the
#            clients (client.py) run from here.
#   br-repl  10.99.0.0/24: each node's replication NIC (vec2), DRBD and the
#            first corosync link; .254 is the namespace, which reaches the
#            nodes' ssh here (so pulling public links never cuts the suite
#            off its nodes).
# Files: $HA_DIR (build/ha) holds the per-node COW files, DRBD disks, seeds,
# console logs and the results (outages.txt); the console logs and the
# nodes' journals stay there after a run.
#
# Every wait is bounded and polls no faster than every few seconds (a guest
# on an emulated CPU starves when probed too often: shared/notes/ha-lab.md).

HA_PUBLIC_PREFIX=192.0.2
HA_FLOATING_IP=192.0.2.10
HA_PING_TARGETS="192.0.2.1 192.0.2.53 192.0.2.254"
HA_DOMAIN=lab.test
HA_USER=alice@lab.test
HA_PROBE_USER=probe@lab.test

# lab_cannot_run: print why this machine cannot run the lab (nothing if it
# can).
lab_cannot_run() {
	local tool avail_kb
	if [ "${TANDEM_TEST_HA:-}" = no ]; then
		echo "TANDEM_TEST_HA=no"
		return
	fi
	if [ "$(id -u)" != 0 ]; then
		echo "needs root (network namespace, tap devices, mmdebstrap)"
		return
	fi
	if [ ! -c /dev/net/tun ]; then
		echo "no /dev/net/tun (the guests' NICs are taps)"
		return
	fi
	for tool in linux:user-mode-linux uml_mconsole:uml-utilities mmdebstrap:mmdebstrap \
		ssh:openssh-client ip:iproute2; do
		if ! command -v "${tool%%:*}" >/dev/null 2>&1; then
			echo "${tool%%:*} is missing (Debian package ${tool#*:}; make deps installs it)"
			return
		fi
	done
	if ! ip netns add "tandem-ha-probe-$$" 2>/dev/null; then
		echo "cannot create a network namespace here"
		return
	fi
	ip netns del "tandem-ha-probe-$$"
	avail_kb=$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo)
	if [ "${avail_kb:-0}" -lt 3145728 ]; then
		echo "less than 3 GiB of memory available (two 1 GiB guests)"
		return
	fi
}

nsx() {
	ip netns exec "$HA_NS" "$@"
}

# node_repl N / node_public N / node_name N
node_repl() { echo "10.99.0.$1"; }
node_public() { echo "$HA_PUBLIC_PREFIX.1$1"; }
node_name() { echo "mx$1"; }
# node_index NAME: mx2 -> 2
node_index() { echo "${1#mx}"; }

say() {
	printf '# %s\n' "$*" >&3
}

# lab_net_up: the namespace, its bridges and six taps (three per node).
lab_net_up() {
	local n i
	ip netns add "$HA_NS"
	nsx ip link set lo up
	nsx ip link add br-pub type bridge
	nsx ip link add br-repl type bridge
	nsx ip link set br-pub type bridge forward_delay 0
	nsx ip link set br-repl type bridge forward_delay 0
	for t in $HA_PING_TARGETS; do
		nsx ip addr add "$t/24" dev br-pub
	done
	nsx ip addr add 10.99.0.254/24 dev br-repl
	for n in 1 2; do
		for i in 0 1 2; do
			nsx ip tuntap add "t$n$i" mode tap
			if [ "$i" = 2 ]; then
				nsx ip link set "t$n$i" master br-repl
			else
				nsx ip link set "t$n$i" master br-pub
			fi
			nsx ip link set "t$n$i" up
		done
	done
	nsx ip link set br-pub up
	nsx ip link set br-repl up
}

# lab_seed N: node N's seed disk (hostname, the shared appliance.conf,
# corosync authkey and probe password, the suite's ssh key) and its DRBD disk.
lab_seed() {
	local n=$1 seed=$HA_DIR/seed$1
	rm -rf "$seed"
	mkdir -p "$seed"
	node_name "$n" >"$seed/hostname"
	cp "$HA_DIR/appliance.conf" "$seed/appliance.conf"
	cp "$HA_DIR/authkey" "$seed/corosync-authkey"
	cp "$HA_DIR/probe.password" "$seed/probe.password"
	rm -f "$HA_DIR/seed$n.img"
	mkfs.ext4 -q -L TANDEMSEED -d "$seed" "$HA_DIR/seed$n.img" 8M
	rm -f "$HA_DIR/drbd$n.img" "$HA_DIR/node$n.cow"
	truncate -s 512M "$HA_DIR/drbd$n.img"
}

# lab_config: the appliance config both nodes share, from the example.
lab_config() {
	sed -e 's|^CLUSTER_NAME=.*|CLUSTER_NAME=tandemlab|' \
		-e "s|^PUBLIC_GATEWAY=.*|PUBLIC_GATEWAY=$HA_PUBLIC_PREFIX.1|" \
		-e "s|^FLOATING_IP=.*|FLOATING_IP=$HA_FLOATING_IP|" \
		-e "s|^PING_TARGETS=.*|PING_TARGETS=\"$HA_PING_TARGETS\"|" \
		-e 's|^BOND_NICS=.*|BOND_NICS="vec0 vec1"|' -e 's|^REPL_NIC=.*|REPL_NIC=vec2|' \
		-e 's|^DRBD_DISK=.*|DRBD_DISK=/dev/ubdb|' \
		-e "s|^DRBD_SECRET=.*|DRBD_SECRET=$(openssl rand -hex 24)|" \
		-e "s|^PROBE_USER=.*|PROBE_USER=$HA_PROBE_USER|" \
		"$TANDEM_ROOT/ha/appliance.conf.example" >"$HA_DIR/appliance.conf"
	dd if=/dev/urandom of="$HA_DIR/authkey" bs=256 count=1 2>/dev/null
	openssl rand -hex 12 >"$HA_DIR/probe.password"
	openssl rand -hex 12 >"$HA_DIR/user.password"
}

# lab_boot N: start node N (UML) in the background; its console goes to
# $HA_DIR/console-mxN.log (appended across boots). The guest's process
# group id is kept in $HA_DIR/pgid.N.
lab_boot() {
	local n=$1 name
	name=$(node_name "$n")
	mkdir -p "$HA_DIR/uml"
	echo "==== boot $(date -u +%FT%TZ) ====" >>"$HA_DIR/console-$name.log"
	# stdout must be a pipe (UML's epoll fails on a regular file); the
	# UML kernel and its helpers share the process group setsid starts.
	setsid sh -c "sleep 100000 | ip netns exec '$HA_NS' linux mem=1024M umid='$HA_NS-$name' \
		uml_dir='$HA_DIR/uml' ubd0='$HA_DIR/node$n.cow,$HA_IMAGE_DIR/root.img' \
		ubd1='$HA_DIR/drbd$n.img' ubd2='$HA_DIR/seed$n.img' \
		root=/dev/ubda rw console=ttyS0 net.ifnames=0 \
		con=null ssl=null con0=null ssl0=fd:0,fd:1 \
		vec0:transport=tap,ifname=t${n}0,mac=52:54:00:74:0$n:00,gro=1 \
		vec1:transport=tap,ifname=t${n}1,mac=52:54:00:74:0$n:01,gro=1 \
		vec2:transport=tap,ifname=t${n}2,mac=52:54:00:74:0$n:02,gro=1 \
		2>&1 | cat >>'$HA_DIR/console-$name.log'" </dev/null >/dev/null 2>&1 &
	echo $! >"$HA_DIR/pgid.$n"
	# a crash is the point: no "Killed" notice from this shell later
	disown $!
}

# lab_kill N: node N crashes: every process of its UML guest gets SIGKILL
# at once (no shutdown, no flush inside the guest). UML puts its kernel
# process in a process group of its own: the guest's processes are found by
# their umid instead.
lab_kill() {
	local pgid name
	name=$(node_name "$1")
	pkill -KILL -f "umid=$HA_NS-$name " 2>/dev/null || true
	pgid=$(cat "$HA_DIR/pgid.$1" 2>/dev/null) && /bin/kill -s KILL -- "-$pgid" 2>/dev/null
	rm -f "$HA_DIR/pgid.$1"
	local n=0
	while pgrep -f "umid=$HA_NS-$name " >/dev/null; do
		n=$((n + 1))
		[ "$n" -le 20 ] || { echo "$name's UML processes survived SIGKILL" >&2; return 1; }
		sleep 0.5
	done
	rm -rf "$HA_DIR/uml/$HA_NS-$name"
}

lab_alive() {
	pgrep -f "umid=$HA_NS-$(node_name "$1") " >/dev/null
}

# sshn N CMD: run CMD on node N as root (over the replication network).
sshn() {
	local n=$1
	shift
	nsx ssh -n -i "$HA_IMAGE_DIR/id_ed25519" -o BatchMode=yes -o ConnectTimeout=5 \
		-o ServerAliveInterval=5 -o ServerAliveCountMax=6 \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
		"root@$(node_repl "$n")" "$@"
}

# sshn_in N CMD: as sshn, with this shell's standard input passed on.
sshn_in() {
	local n=$1
	shift
	nsx ssh -i "$HA_IMAGE_DIR/id_ed25519" -o BatchMode=yes -o ConnectTimeout=5 \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
		"root@$(node_repl "$n")" "$@"
}

# wait_for SECONDS INTERVAL DESCRIPTION CMD...: run CMD every INTERVAL
# seconds until it succeeds; fail with DESCRIPTION after SECONDS.
wait_for() {
	local limit=$1 interval=$2 what=$3 start=$SECONDS
	shift 3
	until "$@"; do
		if [ $((SECONDS - start)) -ge "$limit" ]; then
			echo "timed out after ${limit}s waiting for: $what" >&2
			return 1
		fi
		sleep "$interval"
	done
}

# lab_wait_ssh N SECONDS
lab_wait_ssh() {
	wait_for "$2" 5 "ssh on $(node_name "$1")" sshn "$1" true 2>/dev/null
}

# any_node CMD: run CMD on the first node that answers ssh.
any_node() {
	local n
	for n in 1 2; do
		lab_alive "$n" || continue
		if sshn "$n" true 2>/dev/null; then
			sshn "$n" "$@"
			return
		fi
	done
	echo "no node answers ssh" >&2
	return 1
}

# active_node: the node (mx1 or mx2) where the service group runs, or
# nothing.
active_node() {
	any_node 'crm_resource --locate --resource g_tandem 2>/dev/null' 2>/dev/null |
		sed -n 's/.*is running on: *\([^ ]*\).*/\1/p' | head -n 1
}

# service_up_on NODE: every resource of the group started on NODE.
service_up_on() {
	local group
	group=$(any_node 'crm_mon -1 -r 2>/dev/null' | sed -n '/Resource Group: g_tandem/,/Clone Set/p') || return 1
	[ "$(printf '%s\n' "$group" | grep -cE "Started $1( \(Monitoring\))?\$")" -ge 8 ] &&
		! printf '%s\n' "$group" | grep -qE 'Stopped|FAILED|Starting|Stopping'
}

# drbd_state N: "role cstate dstate" of the resource on node N, DRBD 8.4's
# way: local/peer, e.g. "Secondary/Primary Connected UpToDate/UpToDate".
drbd_state() {
	sshn "$1" 'echo "$(drbdadm role tandem) $(drbdadm cstate tandem) $(drbdadm dstate tandem)"' 2>/dev/null
}

# record SCENARIO TEXT: one line of the suite's results (outages.txt).
record() {
	printf '%s: %s\n' "$1" "$2" >>"$HA_DIR/outages.txt"
	say "$1: $2"
}

# client ARGS...: tests/ha/client.py on the public bridge.
client() {
	nsx python3 "$TANDEM_ROOT/tests/ha/client.py" "$@"
}

# mark_fault: the fault's time, for the clients' outage figures.
mark_fault() {
	date +%s.%N >"$HA_DIR/fault.t"
}

# lab_diagnose LABEL: the cluster's view and the nodes' recent logs into
# $HA_DIR/diag-LABEL.txt, the cluster summary to stderr (bats shows it when
# the test failed).
lab_diagnose() {
	local f=$HA_DIR/diag-$1.txt n
	{
		echo "== outages so far"
		cat "$HA_DIR/outages.txt" 2>/dev/null
		for n in 1 2; do
			lab_alive "$n" || { echo "== mx$n: not running"; continue; }
			echo "== mx$n: crm_mon"
			sshn "$n" 'crm_mon -1 -r -f 2>&1; drbdadm status 2>&1 || cat /proc/drbd' 2>&1
			echo "== mx$n: journal (last 150 lines)"
			sshn "$n" 'journalctl -b --no-pager -n 150 2>&1' 2>&1
		done
	} >"$f" 2>&1
	sed -n '1,/== mx1: journal/p' "$f" | head -n 80 >&2
	echo "(full diagnosis: $f)" >&2
}

# lab_down: stop both guests, remove the namespace; the logs stay.
lab_down() {
	local n
	for n in 1 2; do
		if lab_alive "$n"; then
			sshn "$n" 'journalctl -b --no-pager' >"$HA_DIR/journal-mx$n.log" 2>&1 || true
		fi
		lab_kill "$n"
	done
	if [ -n "${HA_NS:-}" ]; then
		ip netns pids "$HA_NS" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
		ip netns del "$HA_NS" 2>/dev/null || true
	fi
	rm -f "$HA_DIR"/node*.cow "$HA_DIR"/drbd*.img "$HA_DIR"/seed*.img
}
