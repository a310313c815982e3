#!/usr/bin/env bats
# appliance.bats - the two-node appliance, for real: `make image`, two nodes
# booted from it under User-Mode Linux in a network namespace of the
# suite's own (tests/ha/lab.bash), set up the way ha/README.md tells an
# administrator to, and then broken on purpose. Each scenario prints the
# outage it measured: from the fault to the floating IP answering IMAP
# (outages.txt in build/ha keeps them). Under emulation every figure is an
# upper bound, not the appliance's failover time on hardware.
#
# The scenarios are numbered as in the issue; they run in the order
# 1, 3, 4, 5, 2, 6 so that the node crashed in 2 is the one that comes back
# in 6, and both nodes hold the service at some point.
#
# It must never touch a real network or anything outside build/ha: the
# guests write only their COW files and disks there. Every wait is bounded.
# It skips (saying why) on a machine that cannot run it: not root, no
# /dev/net/tun, no network namespaces, too little memory, or
# TANDEM_TEST_HA=no. TANDEM_HA_IMAGE_DIR=DIR uses an image built earlier
# instead of running `make image`.

load ../helpers/common
load lab

setup_file() {
	export HA_SKIP=""
	HA_SKIP=$(lab_cannot_run)
	[ -z "$HA_SKIP" ] || return 0
	export HA_DIR=$TANDEM_ROOT/build/ha
	export HA_NS=tandem-ha-$$
	rm -rf "$HA_DIR"
	mkdir -p "$HA_DIR"
	: >"$HA_DIR/outages.txt"
	if [ -n "${TANDEM_HA_IMAGE_DIR:-}" ]; then
		export HA_IMAGE_DIR=$TANDEM_HA_IMAGE_DIR
	else
		export HA_IMAGE_DIR=$TANDEM_ROOT/build/image
		local t0=$SECONDS
		if ! make -C "$TANDEM_ROOT" --no-print-directory BUILD=build image >"$HA_DIR/image-build.log" 2>&1; then
			tail -n 30 "$HA_DIR/image-build.log" >&2
			echo "make image failed (log: $HA_DIR/image-build.log)" >&2
			return 1
		fi
		record "make image" "$((SECONDS - t0)) s ($(du -h "$HA_IMAGE_DIR/root.img" | cut -f1) used)"
	fi
	[ -f "$HA_IMAGE_DIR/root.img" ] && [ -f "$HA_IMAGE_DIR/id_ed25519" ] || {
		echo "no root.img and id_ed25519 in $HA_IMAGE_DIR" >&2
		return 1
	}

	lab_config
	lab_seed 1
	lab_seed 2
	lab_net_up
	export HA_T0=$SECONDS
	lab_boot 1
	lab_boot 2
	lab_wait_ssh 1 300
	lab_wait_ssh 2 300
	record "boot" "both nodes answer ssh $((SECONDS - HA_T0)) s after power-on"

	# First boot (tandem-firstboot: ha/bootstrap without --format) on both.
	local n
	for n in 1 2; do
		wait_for 400 10 "tandem-firstboot on mx$n" sshn "$n" \
			'test "$(systemctl show -p ActiveState --value tandem-firstboot.service)" = active' || {
			sshn "$n" 'journalctl -b --no-pager -u tandem-seed -u tandem-firstboot | tail -n 40' >&2
			return 1
		}
	done
	# What the runbook has the admin do on both nodes before the first
	# start: a resolver, Postfix and the filters configured. The lab has no
	# DNS (the namespace refuses at once; SpamAssassin, which would wait 15 s
	# per message, is told so) and no network for freshclam: clamd gets a
	# test signature instead.
	for n in 1 2; do
		sshn "$n" "$(lab_node_prepare_script "$n")" >"$HA_DIR/prepare-mx$n.log" 2>&1 || {
			tail -n 30 "$HA_DIR/prepare-mx$n.log" >&2
			return 1
		}
	done
	# Node 1: the volume and the cluster configuration.
	sshn 1 '/usr/share/tandem/ha/bootstrap --format' >"$HA_DIR/bootstrap-format.log" 2>&1 || {
		tail -n 30 "$HA_DIR/bootstrap-format.log" >&2
		return 1
	}
}

# lab_node_prepare_script N: the shell run on node N after its first boot.
lab_node_prepare_script() {
	local sum
	sum=$(printf '%s' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' | md5sum | cut -d' ' -f1)
	cat <<EOF
set -eu
printf '%s:68:Tandem-Lab.EICAR\n' $sum >/var/lib/clamav/tandem-lab.hdb
chown clamav:clamav /var/lib/clamav/tandem-lab.hdb
mkdir -p /etc/systemd/system/clamav-daemon.service.d
printf '[Unit]\nConditionPathExistsGlob=\n' >/etc/systemd/system/clamav-daemon.service.d/tandem-lab.conf
systemctl daemon-reload
echo 'nameserver $HA_PUBLIC_PREFIX.1' >/etc/resolv.conf
echo 'dns_available no' >/etc/spamassassin/tandem-lab.cf
/usr/share/tandem/postfix/apply.sh --hostname mx$1.$HA_DOMAIN \
	--tls-cert /srv/tandem/tls/cert.pem --tls-key /srv/tandem/tls/key.pem
/usr/share/tandem/filters/apply.sh
EOF
}

setup() {
	[ -z "$HA_SKIP" ] || skip "$HA_SKIP"
}

teardown() {
	if [ -z "$HA_SKIP" ] && [ -z "${BATS_TEST_COMPLETED:-}" ]; then
		lab_diagnose "$BATS_TEST_NUMBER"
	fi
}

teardown_file() {
	[ -z "$HA_SKIP" ] || return 0
	lab_down
}

# tandemctl_on NODE ARGS...: tandemctl as the tandem user on NODE.
tandemctl_on() {
	local n
	n=$(node_index "$1")
	shift
	sshn "$n" "runuser -u tandem -- tandemctl $*"
}

# other_node NAME: the node that is not NAME.
other_node() {
	if [ "$1" = mx1 ]; then echo mx2; else echo mx1; fi
}

# wait_service_on NODE SECONDS
wait_service_on() {
	wait_for "$2" 5 "the service group started on $1" service_up_on "$1"
}

has_active_node() {
	[ -n "$(active_node)" ]
}

# drbd_in_sync N: node N is the connected, up-to-date secondary.
drbd_in_sync() {
	[ "$(drbd_state "$1")" = "Secondary/Primary Connected UpToDate/UpToDate" ]
}

both_online() {
	any_node 'crm_mon -1' 2>/dev/null | grep -q 'Online: \[ mx1 mx2 \]'
}

# pingd_is NODE VALUE: NODE's ping attribute (1000 per target it reaches).
pingd_is() {
	[ "$(any_node "crm_attribute --node $1 --name pingd --lifetime reboot --query --quiet" 2>/dev/null)" = "$2" ]
}

no_fence_constraint() {
	local c
	c=$(any_node 'cibadmin --query --scope constraints') || return 1
	! printf '%s\n' "$c" | grep -q drbd-fence-by-handler
}

# accepted_at_least N: the crash stream has N messages with a 250.
accepted_at_least() {
	[ "$(grep -c accepted "$HA_DIR/stream2.log")" -ge "$1" ]
}

# result FILE KEY: a NAME=VALUE result of client.py.
result() {
	sed -n "s/^$2=//p" "$1" | tail -n 1
}

# wait_pid PID SECONDS: wait for a background client; fail if it overran.
wait_pid() {
	local pid=$1 n=0
	while kill -0 "$pid" 2>/dev/null; do
		n=$((n + 1))
		if [ "$n" -gt "$2" ]; then
			kill "$pid" 2>/dev/null
			echo "client $pid still running after $2 s" >&2
			return 1
		fi
		sleep 1
	done
	wait "$pid"
}

@test "scenario 1: the cluster forms, DRBD connects, the service starts; SMTP on the floating IP delivers and IMAP reads it" {
	local active other t
	# The service: DRBD promoted, the volume, the IP, tandemd, the filters, Postfix.
	wait_for 900 10 "the service group started on a node" has_active_node || true
	active=$(active_node)
	[ -n "$active" ] || { echo "no node runs g_tandem" >&2; return 1; }
	wait_service_on "$active" 600
	record "scenario 1" "service started on $active $((SECONDS - HA_T0)) s after power-on (bootstrap --format included)"
	other=$(other_node "$active")

	run -0 any_node 'crm_mon -1'
	assert_output --regexp 'Online: \[ mx1 mx2 \]'
	run -0 drbd_state "$(node_index "$active")"
	assert_output "Primary/Secondary Connected UpToDate/UpToDate"
	run -0 drbd_state "$(node_index "$other")"
	assert_output "Secondary/Primary Connected UpToDate/UpToDate"
	# the volume holds the database and the queue, on the active node only
	run -0 sshn "$(node_index "$active")" 'findmnt -n -o SOURCE /srv/tandem && ls /srv/tandem/db/tandem.db /srv/tandem/postfix/incoming'
	assert_line --index 0 /dev/drbd0
	run -1 sshn "$(node_index "$other")" 'findmnt -n /srv/tandem'

	# bootstrap --format made the deep monitor's account (and its domain);
	# the admin adds the users.
	local a
	a=$(node_index "$active")
	run -0 sshn_in "$a" "runuser -u tandem -- tandemctl user add $HA_USER" <"$HA_DIR/user.password"
	run -0 tandemctl_on "$active" user list "$HA_DOMAIN"
	assert_line "$HA_USER"
	assert_line "$HA_PROBE_USER"

	# SMTP to the floating IP through Postfix, the milters and LMTP; IMAP reads it.
	run -0 client send "$HA_FLOATING_IP" --to "$HA_USER" --tag first-1
	assert_output --partial sent=yes
	echo "1 accepted $(date +%s) 250" >"$HA_DIR/first.log"
	run -0 client inbox-check "$HA_FLOATING_IP" --user "$HA_USER" --password-file "$HA_DIR/user.password" \
		--log "$HA_DIR/first.log" --tag first --timeout 120
	assert_output --partial missing=none
	# through the filter chain: both milters saw it
	run -0 client headers "$HA_FLOATING_IP" --user "$HA_USER" --password-file "$HA_DIR/user.password" \
		--subject first-1
	assert_output --partial "X-Virus-Scanned: clamav-milter"
	assert_output --regexp "X-Spam-Status: No"
	# the deep monitor (a write and a read as the probe user) passes
	run -0 sshn "$a" 'OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=p_tandemd OCF_CHECK_LEVEL=20 \
		OCF_RESKEY_config=/etc/tandem/tandem.conf OCF_RESKEY_probe_user='"$HA_PROBE_USER"' \
		OCF_RESKEY_probe_password_file=/etc/tandem/probe.password \
		/usr/lib/ocf/resource.d/tandem/tandemd monitor'
}

@test "scenario 3: manual failover with crm while an IMAP client is connected: it reconnects to the same UIDs and flags" {
	local active other pid
	active=$(active_node)
	[ -n "$active" ] || { echo "no node runs g_tandem" >&2; return 1; }
	other=$(other_node "$active")
	wait_for 300 5 "DRBD in sync on $other" drbd_in_sync "$(node_index "$other")"

	rm -f "$HA_DIR/hold3.txt" "$HA_DIR/fault.t"
	client hold "$HA_FLOATING_IP" --user "$HA_USER" --password-file "$HA_DIR/user.password" \
		--mode reconnect --state "$HA_DIR/hold3.txt" --fault-file "$HA_DIR/fault.t" --timeout 600 \
		>"$HA_DIR/hold3.out" 2>&1 3>&- &
	pid=$!
	wait_for 60 1 "the IMAP client's session" grep -q '^ready=yes' "$HA_DIR/hold3.txt"
	mark_fault
	# the admin's way (ha/README.md): move, wait, clear
	run -0 sshn "$(node_index "$active")" "/usr/share/tandem/ha/move to $other"
	wait_pid "$pid" 620 || { cat "$HA_DIR/hold3.out" >&2; return 1; }
	run -0 cat "$HA_DIR/hold3.txt"
	assert_line result=ok
	wait_service_on "$other" 300
	run -0 sshn "$(node_index "$other")" '/usr/share/tandem/ha/move clear'
	record "scenario 3" "manual failover $active -> $other: IMAP back after $(result "$HA_DIR/hold3.txt" outage) s; same UIDVALIDITY, UIDs and flags ($(result "$HA_DIR/hold3.txt" messages) messages)"
	[ "$(active_node)" = "$other" ]
}

@test "scenario 4: one bonded NIC pulled on the active node: no outage, an IMAP session stays open" {
	local active a slave pid
	active=$(active_node)
	[ -n "$active" ] || { echo "no node runs g_tandem" >&2; return 1; }
	a=$(node_index "$active")
	slave=$(sshn "$a" "sed -n 's/^Currently Active Slave: //p' /proc/net/bonding/bond0")
	[ -n "$slave" ]

	rm -f "$HA_DIR/hold4.txt" "$HA_DIR/fault.t"
	client hold "$HA_FLOATING_IP" --user "$HA_USER" --password-file "$HA_DIR/user.password" \
		--mode stay --state "$HA_DIR/hold4.txt" --timeout 40 >"$HA_DIR/hold4.out" 2>&1 3>&- &
	pid=$!
	wait_for 60 1 "the IMAP client's session" grep -q '^ready=yes' "$HA_DIR/hold4.txt"
	mark_fault
	# UML's NICs have no carrier to pull: the link goes down inside the guest
	run -0 sshn "$a" "ip link set $slave down"
	run -0 client wait-imap "$HA_FLOATING_IP" --fault-file "$HA_DIR/fault.t" --timeout 60
	local outage=${output#outage=}
	run -0 sshn "$a" "sed -n 's/^Currently Active Slave: //p' /proc/net/bonding/bond0"
	refute_output "$slave"
	wait_pid "$pid" 60 || { cat "$HA_DIR/hold4.out" >&2; return 1; }
	run -0 cat "$HA_DIR/hold4.txt"
	assert_line result=ok
	run -0 sshn "$a" "ip link set $slave up"
	record "scenario 4" "$slave of bond0 down on $active: IMAP answered the first probe, ${outage} s after the fault (the ssh that pulls the link included); the open session's slowest NOOP $(result "$HA_DIR/hold4.txt" worst_noop) s"
	[ "$(active_node)" = "$active" ]
}

@test "scenario 5: every public link of the active node pulled: the ping rule moves the service" {
	local active other a
	active=$(active_node)
	[ -n "$active" ] || { echo "no node runs g_tandem" >&2; return 1; }
	other=$(other_node "$active")
	a=$(node_index "$active")
	rm -f "$HA_DIR/fault.t"
	mark_fault
	run -0 sshn "$a" 'ip link set vec0 down && ip link set vec1 down'
	run -0 client wait-imap "$HA_FLOATING_IP" --fault-file "$HA_DIR/fault.t" --timeout 600 --down-first
	local outage=${output#outage=}
	wait_service_on "$other" 300
	# the links come back: the pair is whole again, the service stays
	run -0 sshn "$a" 'ip link set vec0 up && ip link set vec1 up'
	wait_for 120 5 "$active reaching the ping targets again" pingd_is "$active" 3000
	record "scenario 5" "bond0 of $active cut: service on $other, IMAP back ${outage} s after the fault"
	[ "$(active_node)" = "$other" ]
}

@test "scenario 2: the active node killed hard during an SMTP stream: no message that got 250 is lost" {
	local active other a o pid queued
	active=$(active_node)
	[ -n "$active" ] || { echo "no node runs g_tandem" >&2; return 1; }
	other=$(other_node "$active")
	a=$(node_index "$active")
	o=$(node_index "$other")
	wait_for 300 5 "DRBD in sync on $other" drbd_in_sync "$o"
	rm -f "$HA_DIR/stream2.log" "$HA_DIR/fault.t"
	: >"$HA_DIR/stream2.log"
	client stream "$HA_FLOATING_IP" --to "$HA_USER" --tag crash --count 40 --interval 1 \
		--log "$HA_DIR/stream2.log" --deadline 900 >"$HA_DIR/stream2.out" 2>&1 3>&- &
	pid=$!
	wait_for 180 2 "8 messages accepted" accepted_at_least 8
	# Postfix's queue manager stops picking mail up: what is accepted from
	# now on sits in the queue (on the DRBD volume) when the node dies.
	run -0 sshn "$a" 'pkill -STOP -x qmgr'
	local before
	before=$(grep -c accepted "$HA_DIR/stream2.log")
	wait_for 120 1 "3 more messages accepted" accepted_at_least $((before + 3))
	queued=$(sshn "$a" 'find /srv/tandem/postfix/incoming /srv/tandem/postfix/active -type f | wc -l')
	mark_fault
	lab_kill "$a"
	run -0 client wait-imap "$HA_FLOATING_IP" --fault-file "$HA_DIR/fault.t" --timeout 600
	local outage=${output#outage=}
	wait_pid "$pid" 900 || { cat "$HA_DIR/stream2.out" >&2; return 1; }
	run -0 client inbox-check "$HA_FLOATING_IP" --user "$HA_USER" --password-file "$HA_DIR/user.password" \
		--log "$HA_DIR/stream2.log" --tag crash --timeout 300
	echo "$output" >"$HA_DIR/stream2.check"
	assert_output --partial missing=none
	assert_output --partial over_retries=none
	[ "$queued" -ge 1 ]
	local smtp_back
	smtp_back=$(awk -v t="$(cat "$HA_DIR/fault.t")" '$2 == "accepted" && $3 > t { printf "%.1f", $3 - t; exit }' "$HA_DIR/stream2.log")
	record "scenario 2" "$active killed: IMAP back on $other ${outage} s after the crash, SMTP accepting (Postfix starts last) after ${smtp_back:-?} s; $(result "$HA_DIR/stream2.check" accepted) messages got 250, all $(result "$HA_DIR/stream2.check" present) readable ($queued were in Postfix's queue at the crash, $(grep -c failed "$HA_DIR/stream2.log") attempts refused during the outage and retried, $(result "$HA_DIR/stream2.check" duplicates) duplicates)"
	wait_service_on "$other" 300
	echo "$active" >"$HA_DIR/crashed"
}

@test "scenario 6: the dead node comes back: it rejoins as secondary, resyncs, and the service stays where it is" {
	local dead d alive t0
	dead=$(cat "$HA_DIR/crashed" 2>/dev/null) || { echo "scenario 2 did not crash a node" >&2; return 1; }
	d=$(node_index "$dead")
	alive=$(other_node "$dead")
	t0=$SECONDS
	lab_boot "$d"
	lab_wait_ssh "$d" 300
	wait_for 400 10 "$dead online in the cluster" both_online
	wait_for 600 10 "$dead's DRBD resynced" drbd_in_sync "$d"
	local resynced=$((SECONDS - t0))
	# the fence constraint crm-fence-peer.sh set at the crash is gone after the resync
	wait_for 120 5 "the DRBD fence constraint removed" no_fence_constraint
	# no failback: still on the survivor a while later (past a cluster recheck)
	sleep 150
	[ "$(active_node)" = "$alive" ]
	service_up_on "$alive"
	run -0 client inbox-check "$HA_FLOATING_IP" --user "$HA_USER" --password-file "$HA_DIR/user.password" \
		--log "$HA_DIR/stream2.log" --tag crash --timeout 60
	assert_output --partial missing=none
	record "scenario 6" "$dead back: in sync as Secondary $resynced s after power-on; service stayed on $alive"
}
