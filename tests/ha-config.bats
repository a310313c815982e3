#!/usr/bin/env bats
# ha-config.bats - the two-node appliance's configuration, checked offline
# without guests: ha/bootstrap renders every file from the example
# appliance config; Pacemaker accepts the crm configuration (loaded into an
# empty CIB file, crm_verify) and its scheduler (crm_simulate) moves the
# service only when the other node sees more ping targets; corosync -t
# accepts corosync.conf; drbdadm's 8.4 parser accepts the DRBD resource;
# the admin's scripts are shellcheck-clean.
# Nothing here starts a cluster daemon or touches /etc: every file is
# rendered under $BATS_TEST_TMPDIR (bootstrap --root).

load helpers/common

EXAMPLE=$TANDEM_ROOT/ha/appliance.conf.example
BOOTSTRAP=$TANDEM_ROOT/ha/bootstrap

setup() {
	# crmsh keeps history and caches under $HOME: keep them in the test's
	# directory.
	export HOME=$BATS_TEST_TMPDIR/home
	mkdir -p "$HOME"
}

# render NODE [CONFIG]: bootstrap --root into $BATS_TEST_TMPDIR/NODE.
render() {
	local node=$1 config=${2:-$EXAMPLE}
	run -0 "$BOOTSTRAP" --config "$config" --node "$node" --root "$BATS_TEST_TMPDIR/$node"
	R=$BATS_TEST_TMPDIR/$node
}

require_tool() {
	command -v "$1" >/dev/null || skip "$1 is not installed (Debian package $2, daemon/debian-packages.txt)"
}

# load_cib: the rendered crm configuration of mx1 loaded into an empty CIB
# file, $CIB.
load_cib() {
	require_tool crm crmsh
	require_tool cibadmin pacemaker-cli-utils
	[ -x /usr/lib/ocf/resource.d/linbit/drbd ] || skip "ocf:linbit:drbd is not installed (drbd-utils)"
	[ -x /usr/lib/ocf/resource.d/heartbeat/postfix ] || skip "ocf:heartbeat:* are not installed (resource-agents)"
	render mx1
	CIB=$BATS_TEST_TMPDIR/cib.xml
	cibadmin --empty >"$CIB"
	# -F: crmsh refuses primitives whose agent gives no meta-data here:
	# systemd units (no systemd to ask) and ocf:tandem:tandemd (not
	# installed on the build machine). Those are the only errors allowed.
	run -0 env CIB_file="$CIB" crm -F configure load update "$R/etc/tandem/cluster.crm"
	local unexpected
	unexpected=$(printf '%s\n' "$output" | grep -i 'error' |
		grep -v -e 'systemd:[a-z-]*: got no meta-data' -e 'systemd:[a-z-]*: no such resource agent' \
			-e 'ocf:tandem:tandemd: got no meta-data' -e 'ocf:tandem:tandemd: no such resource agent' \
			-e 'lack of quorum' || true)
	[ -z "$unexpected" ] || { echo "crm: $unexpected"; return 1; }
	grep -q '<primitive id="p_postfix"' "$CIB"
}

# cib_has XPATH...: each XPath expression matches something in $CIB.
cib_has() {
	python3 - "$CIB" "$@" <<'EOF'
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
missing = [x for x in sys.argv[2:] if root.find(x) is None]
for x in missing:
    print("not in the CIB:", x)
sys.exit(1 if missing else 0)
EOF
}

@test "bootstrap --root renders every file for both nodes, no placeholder left, idempotent" {
	render mx1
	for f in etc/drbd.d/tandem.res etc/corosync/corosync.conf etc/corosync/authkey \
		etc/network/interfaces.d/bond0 etc/network/interfaces.d/repl etc/tandem/cluster.crm; do
		[ -s "$R/$f" ] || { echo "missing $f"; return 1; }
	done
	# nothing on this system is touched: the system steps are only printed
	[[ "$output" == *"would run: drbdadm create-md tandem"* ]]
	[[ "$output" == *"would run: crm configure load update /etc/tandem/cluster.crm"* ]]
	run -1 grep -rn '@[A-Z0-9_]*@' "$R/etc"
	grep -q 'address 192.0.2.11/24' "$R/etc/network/interfaces.d/bond0"
	grep -q 'bond-slaves eth0 eth1' "$R/etc/network/interfaces.d/bond0"
	grep -q 'bond-primary eth0' "$R/etc/network/interfaces.d/bond0"
	grep -q 'bond-mode active-backup' "$R/etc/network/interfaces.d/bond0"
	grep -q 'bond-miimon 100' "$R/etc/network/interfaces.d/bond0"
	# the example leaves the MAC empty: no hwaddress line
	run -1 grep -q hwaddress "$R/etc/network/interfaces.d/bond0"
	grep -q 'address 10.99.0.1/24' "$R/etc/network/interfaces.d/repl"
	grep -q 'host_list="192.0.2.1 192.0.2.53 198.51.100.1"' "$R/etc/tandem/cluster.crm"

	# a second run changes nothing
	local before
	before=$(cd "$R" && find . -type f -exec md5sum {} + | sort)
	render mx1
	[ "$(printf '%s\n' "$output" | grep -c ' unchanged$')" -eq 5 ]
	[[ "$output" == *"authkey present"* ]]
	[ "$before" = "$(cd "$R" && find . -type f -exec md5sum {} + | sort)" ]

	# the second node: its own addresses, the same shared files
	local r1=$R
	render mx2
	grep -q 'address 192.0.2.12/24' "$R/etc/network/interfaces.d/bond0"
	grep -q 'address 10.99.0.2/24' "$R/etc/network/interfaces.d/repl"
	cmp "$r1/etc/drbd.d/tandem.res" "$R/etc/drbd.d/tandem.res"
	cmp "$r1/etc/corosync/corosync.conf" "$R/etc/corosync/corosync.conf"
	# no key is made on the second node: it must be node 1's
	[ ! -e "$R/etc/corosync/authkey" ]
	[[ "$output" == *"copy /etc/corosync/authkey from mx1"* ]]
	[[ "$output" == *"crm      loaded by mx1"* ]]
}

@test "bootstrap: a MAC and no gateway; bad configs are refused with the reason" {
	local c=$BATS_TEST_TMPDIR/appliance.conf
	sed -e 's/^NODE2_BOND_MAC=.*/NODE2_BOND_MAC=52:54:00:12:34:56/' \
		-e 's/^PUBLIC_GATEWAY=.*/PUBLIC_GATEWAY=/' "$EXAMPLE" >"$c"
	render mx2 "$c"
	grep -q 'hwaddress ether 52:54:00:12:34:56' "$R/etc/network/interfaces.d/bond0"
	run -1 grep -Eq '^[[:space:]]*gateway' "$R/etc/network/interfaces.d/bond0"

	sed 's/^FLOATING_IP=.*/FLOATING_IP=192.0.2/' "$EXAMPLE" >"$c"
	run -1 "$BOOTSTRAP" --config "$c" --node mx1 --root "$BATS_TEST_TMPDIR/bad"
	[[ "$output" == *"FLOATING_IP=192.0.2 is not an IPv4 address"* ]]
	printf 'CLUSTER_NAMEE=x\n' >"$c"
	run -1 "$BOOTSTRAP" --config "$c" --node mx1 --root "$BATS_TEST_TMPDIR/bad"
	[[ "$output" == *"unknown name CLUSTER_NAMEE"* ]]
	sed 's/^DRBD_SECRET=.*/DRBD_SECRET="short; rm -rf x"/' "$EXAMPLE" >"$c"
	run -1 "$BOOTSTRAP" --config "$c" --node mx1 --root "$BATS_TEST_TMPDIR/bad"
	[[ "$output" == *"DRBD_SECRET"* ]]
	run -1 "$BOOTSTRAP" --config "$EXAMPLE" --node mx9 --root "$BATS_TEST_TMPDIR/bad"
	[[ "$output" == *"neither NODE1_NAME"* ]]
	run -1 "$BOOTSTRAP" --config "$EXAMPLE" --node mx2 --format --root "$BATS_TEST_TMPDIR/bad"
	[[ "$output" == *"first node"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/bad" ]
}

@test "crm configuration: valid to Pacemaker, with its rules in the CIB" {
	load_cib
	run -0 crm_verify --xml-file "$CIB"
	# no STONITH device: stated in the configuration, not a crm_verify error
	cib_has \
		".//nvpair[@name='stonith-enabled'][@value='false']" \
		".//clone[@id='ms_drbd']/meta_attributes/nvpair[@name='promotable'][@value='true']" \
		".//clone[@id='ms_drbd']/meta_attributes/nvpair[@name='promoted-max'][@value='1']" \
		".//clone[@id='ms_drbd']/primitive[@type='drbd'][@provider='linbit']" \
		".//group[@id='g_tandem']/primitive[@id='p_fs'][@type='Filesystem']" \
		".//primitive[@id='p_fs']//nvpair[@name='directory'][@value='/srv/tandem']" \
		".//primitive[@id='p_fs']//nvpair[@name='device'][@value='/dev/drbd0']" \
		".//primitive[@id='p_ip'][@type='IPaddr2']//nvpair[@name='nic'][@value='bond0']" \
		".//primitive[@id='p_ip']//nvpair[@name='ip'][@value='192.0.2.10']" \
		".//primitive[@id='p_tandemd'][@class='ocf'][@provider='tandem'][@type='tandemd']" \
		".//primitive[@id='p_tandemd']//nvpair[@name='config'][@value='/etc/tandem/tandem.conf']" \
		".//primitive[@id='p_tandemd']//op[@name='monitor']//nvpair[@name='OCF_CHECK_LEVEL'][@value='10']" \
		".//primitive[@id='p_tandemd']//op[@name='monitor']//nvpair[@name='OCF_CHECK_LEVEL'][@value='20']" \
		".//primitive[@id='p_postfix'][@provider='heartbeat'][@type='postfix']" \
		".//primitive[@id='p_clamd'][@class='systemd'][@type='clamav-daemon']" \
		".//primitive[@id='p_clamav_milter'][@class='systemd'][@type='clamav-milter']" \
		".//primitive[@id='p_spamd'][@class='systemd'][@type='spamd']" \
		".//primitive[@id='p_spamass_milter'][@class='systemd'][@type='spamass-milter']" \
		".//rsc_colocation[@rsc='g_tandem'][@with-rsc='ms_drbd'][@with-rsc-role='Promoted'][@score='INFINITY']" \
		".//rsc_order[@first='ms_drbd'][@first-action='promote'][@then='g_tandem'][@then-action='start']" \
		".//clone[@id='cl_ping']/primitive[@type='ping'][@provider='pacemaker']" \
		".//rsc_location[@rsc='ms_drbd']/rule[@role='Promoted'][@score-attribute='pingd']" \
		".//rsc_location[@rsc='ms_drbd']/rule[@role='Promoted'][@score='-INFINITY']/expression[@operation='not_defined'][@attribute='pingd']" \
		".//rsc_defaults//nvpair[@name='resource-stickiness']" \
		".//rsc_defaults//nvpair[@name='migration-threshold'][@value='3']" \
		".//rsc_defaults//nvpair[@name='failure-timeout']"
	# Postfix is the group's last member: it takes mail only when tandemd
	# and the milters answer
	run -0 python3 -c '
import sys, xml.etree.ElementTree as ET
g = ET.parse(sys.argv[1]).getroot().find(".//group[@id=\"g_tandem\"]")
print(" ".join(p.get("id") for p in g.findall("primitive")))' "$CIB"
	[ "$output" = "p_fs p_ip p_tandemd p_clamd p_clamav_milter p_spamd p_spamass_milter p_postfix" ]
	# a broken configuration is refused (the check is not vacuous)
	sed 's/with-rsc="ms_drbd"/with-rsc="ms_nothing"/' "$CIB" >"$BATS_TEST_TMPDIR/broken.xml"
	run crm_verify --xml-file "$BATS_TEST_TMPDIR/broken.xml"
	[ "$status" -ne 0 ]
	[[ "$output" == *ms_nothing* ]]
}

@test "crm configuration: tandemd's parameters and monitor depths are the agent's" {
	local ra=$TANDEM_ROOT/resource-agents/tandemd
	[ -f "$ra" ] || skip "resource-agents/tandemd is not there yet"
	render mx1
	run -0 env OCF_ROOT=/usr/lib/ocf sh "$ra" meta-data
	local meta=$output param
	for param in $(sed -n '/^primitive p_tandemd/,/^$/p' "$R/etc/tandem/cluster.crm" |
		grep -o '[a-z_]*=' | tr -d = | grep -v -e '^interval$' -e '^timeout$'); do
		[[ "$meta" == *"<parameter name=\"$param\""* ]] || { echo "no parameter $param in the agent"; return 1; }
	done
	[[ "$meta" == *'depth="10"'* ]]
	[[ "$meta" == *'depth="20"'* ]]
}

# simulate NODE1_PINGD NODE2_PINGD: from the service running on mx1 (both
# disks UpToDate, every target answering), set both nodes' pingd and let the
# scheduler act until nothing changes; print where the service runs.
simulate() {
	local s=$BATS_TEST_TMPDIR/sim
	cp "$BATS_TEST_TMPDIR/steady.xml" "$s.xml"
	CIB_file=$s.xml crm_attribute --node mx1 --name pingd --update "$1" --lifetime reboot
	CIB_file=$s.xml crm_attribute --node mx2 --name pingd --update "$2" --lifetime reboot
	crm_simulate --xml-file "$s.xml" --simulate --save-output "$s-1.xml" >/dev/null 2>&1
	crm_simulate --xml-file "$s-1.xml" --simulate --save-output "$s-2.xml" >/dev/null 2>&1
	CIB_file=$s-2.xml crm_resource --locate --resource g_tandem 2>/dev/null |
		sed -n 's/.*running on: *//p'
}

@test "ping rule: the service moves only when the other node sees more targets" {
	require_tool crm_simulate pacemaker-cli-utils
	load_cib
	# both nodes up with quorum, the DRBD agent's promotion score on both
	crm_simulate --xml-file "$CIB" --node-up mx1 --node-up mx2 --simulate \
		--save-output "$BATS_TEST_TMPDIR/up.xml" >/dev/null 2>&1
	sed -i 's/<cib /<cib have-quorum="1" /' "$BATS_TEST_TMPDIR/up.xml"
	local n
	for n in mx1 mx2; do
		CIB_file=$BATS_TEST_TMPDIR/up.xml crm_attribute --node $n --name master-p_drbd --update 10000 --lifetime reboot
		CIB_file=$BATS_TEST_TMPDIR/up.xml crm_attribute --node $n --name pingd --update 3000 --lifetime reboot
	done
	crm_simulate --xml-file "$BATS_TEST_TMPDIR/up.xml" --simulate \
		--save-output "$BATS_TEST_TMPDIR/steady.xml" >/dev/null 2>&1
	run -0 env CIB_file="$BATS_TEST_TMPDIR/steady.xml" crm_resource --locate --resource g_tandem
	[[ "$output" == *"running on: mx1"* ]]
	run -0 env CIB_file="$BATS_TEST_TMPDIR/steady.xml" crm_resource --locate --resource ms_drbd
	[[ "$output" == *"mx1 Promoted"* ]]

	# all targets answer on both: stays
	[ "$(simulate 3000 3000)" = mx1 ]
	# one target dead for both: not a reason to move
	[ "$(simulate 2000 2000)" = mx1 ]
	# mx2 sees one target more: moves
	[ "$(simulate 2000 3000)" = mx2 ]
	[ "$(simulate 1000 3000)" = mx2 ]
	# mx1 sees more than mx2: stays
	[ "$(simulate 3000 1000)" = mx1 ]
	# mx1 reaches none: moves even to a node that reaches only one
	[ "$(simulate 0 1000)" = mx2 ]
	# nobody reaches anything: the service is not run anywhere
	[ -z "$(simulate 0 0)" ]
}

@test "manual failover: crm resource move takes DRBD's promotion with the service" {
	require_tool crm_simulate pacemaker-cli-utils
	load_cib
	crm_simulate --xml-file "$CIB" --node-up mx1 --node-up mx2 --simulate \
		--save-output "$BATS_TEST_TMPDIR/up.xml" >/dev/null 2>&1
	sed -i 's/<cib /<cib have-quorum="1" /' "$BATS_TEST_TMPDIR/up.xml"
	local n m=$BATS_TEST_TMPDIR/m
	for n in mx1 mx2; do
		CIB_file=$BATS_TEST_TMPDIR/up.xml crm_attribute --node $n --name master-p_drbd --update 10000 --lifetime reboot
		CIB_file=$BATS_TEST_TMPDIR/up.xml crm_attribute --node $n --name pingd --update 3000 --lifetime reboot
	done
	crm_simulate --xml-file "$BATS_TEST_TMPDIR/up.xml" --simulate --save-output "$m.xml" >/dev/null 2>&1
	run -0 env CIB_file="$m.xml" "$TANDEM_ROOT/ha/move" to mx2
	[[ "$output" == *"move: crm resource move g_tandem mx2"* ]]
	crm_simulate --xml-file "$m.xml" --simulate --save-output "$m-1.xml" >/dev/null 2>&1
	crm_simulate --xml-file "$m-1.xml" --simulate --save-output "$m-2.xml" >/dev/null 2>&1
	run -0 env CIB_file="$m-2.xml" crm_resource --locate --resource ms_drbd
	[[ "$output" == *"mx2 Promoted"* ]]
	run -0 env CIB_file="$m-2.xml" crm_resource --locate --resource g_tandem
	[[ "$output" == *"running on: mx2"* ]]
	# status names the constraint left behind; clear removes it
	run -1 env CIB_file="$m-2.xml" "$TANDEM_ROOT/ha/status" --brief
	[[ "$output" == *"service   running on mx2"* ]]
	[[ "$output" == *"move constraint cli-prefer-g_tandem left"* ]]
	run -0 env CIB_file="$m-2.xml" "$TANDEM_ROOT/ha/move" clear
	run -1 grep -q cli-prefer "$m-2.xml"
	# and the service stays on mx2 (stickiness, no failback)
	crm_simulate --xml-file "$m-2.xml" --simulate --save-output "$m-3.xml" >/dev/null 2>&1
	run -0 env CIB_file="$m-3.xml" crm_resource --locate --resource g_tandem
	[[ "$output" == *"running on: mx2"* ]]
}

@test "corosync.conf: corosync -t accepts it; knet, two links, two_node" {
	require_tool corosync corosync
	# corosync -t wants one node's address on this host: node 1's
	# replication address is 127.0.0.1 here
	local c=$BATS_TEST_TMPDIR/appliance.conf
	sed -e 's/^NODE1_REPL=.*/NODE1_REPL=127.0.0.1/' -e 's/^NODE2_REPL=.*/NODE2_REPL=127.0.0.2/' "$EXAMPLE" >"$c"
	render mx1 "$c"
	local conf=$R/etc/corosync/corosync.conf
	grep -Eq '^[[:space:]]*transport: knet$' "$conf"
	grep -Eq '^[[:space:]]*two_node: 1$' "$conf"
	grep -Eq '^[[:space:]]*provider: corosync_votequorum$' "$conf"
	[ "$(grep -Ec '^[[:space:]]*linknumber: [01]$' "$conf")" -eq 2 ]
	[ "$(grep -Ec '^[[:space:]]*ring0_addr: ' "$conf")" -eq 2 ]
	[ "$(grep -Ec '^[[:space:]]*ring1_addr: ' "$conf")" -eq 2 ]
	grep -q 'ring1_addr: 192.0.2.12' "$conf"
	# the test's copy reads the rendered key instead of /etc/corosync/authkey
	# and logs to stderr, where bats sees it
	sed -e "s|^\([[:space:]]*\)transport: knet|&\n\1keyfile: $R/etc/corosync/authkey|" \
		-e 's/to_stderr: no/to_stderr: yes/' "$conf" >"$BATS_TEST_TMPDIR/test.conf"
	run -0 corosync -t -c "$BATS_TEST_TMPDIR/test.conf"
	# the check is not vacuous: links of mixed address families are refused
	sed 's/ring1_addr: 192.0.2.12/ring1_addr: fd00::12/' "$BATS_TEST_TMPDIR/test.conf" >"$BATS_TEST_TMPDIR/bad.conf"
	run -8 corosync -t -c "$BATS_TEST_TMPDIR/bad.conf"
	[[ "$output" == *"different IP families"* ]]
}

@test "DRBD resource: drbdadm's 8.4 parser accepts it, protocol C, resource-only fencing, handlers" {
	local drbdadm84=/usr/lib/drbd/drbdadm-84
	[ -x "$drbdadm84" ] || skip "drbd-utils (with its 8.4 drbdadm) is not installed"
	render mx1
	# As drbd.conf includes it on the node: Debian's global_common.conf
	# (when drbd-utils installed it) and the resource.
	: >"$BATS_TEST_TMPDIR/drbd.conf"
	[ ! -f /etc/drbd.d/global_common.conf ] ||
		echo 'include "/etc/drbd.d/global_common.conf";' >>"$BATS_TEST_TMPDIR/drbd.conf"
	printf 'include "%s";\n' "$R/etc/drbd.d/tandem.res" >>"$BATS_TEST_TMPDIR/drbd.conf"
	local n
	for n in mx1 mx2; do
		# __DRBD_NODE__: drbdadm's own override of the host name
		run -0 env __DRBD_NODE__=$n "$drbdadm84" -c "$BATS_TEST_TMPDIR/drbd.conf" dump tandem
	done
	local dump=$output
	[[ "$dump" == *"protocol           C;"* ]]
	[[ "$dump" == *"fencing          resource-only;"* ]]
	[[ "$dump" == *"fence-peer       /usr/lib/drbd/crm-fence-peer.sh;"* ]]
	[[ "$dump" == *"after-resync-target /usr/lib/drbd/crm-unfence-peer.sh;"* ]]
	[[ "$dump" == *"after-sb-0pri    discard-zero-changes;"* ]]
	[[ "$dump" == *"after-sb-1pri    discard-secondary;"* ]]
	[[ "$dump" == *"after-sb-2pri    disconnect;"* ]]
	[[ "$dump" == *"meta-disk        internal;"* ]]
	[[ "$dump" == *"address          ipv4 10.99.0.1:7789;"* ]]
	[[ "$dump" == *"address          ipv4 10.99.0.2:7789;"* ]]
	[[ "$dump" == *"disk             /dev/vdb;"* ]]
	# what create-md would do on mx1 (dry run: nothing is written)
	run -0 env __DRBD_NODE__=mx1 "$drbdadm84" -c "$BATS_TEST_TMPDIR/drbd.conf" --dry-run create-md tandem
	[[ "$output" == *"/dev/vdb internal create-md"* ]]
	# a host that is not in the resource, and a syntax error, are refused
	run -1 env __DRBD_NODE__=mx9 "$drbdadm84" -c "$BATS_TEST_TMPDIR/drbd.conf" dump tandem
	sed 's/on-io-error detach;/on-io-errors detach;/' "$R/etc/drbd.d/tandem.res" >"$BATS_TEST_TMPDIR/bad.res"
	run -10 env __DRBD_NODE__=mx1 "$drbdadm84" -c "$BATS_TEST_TMPDIR/bad.res" dump tandem
}

@test "ha/bootstrap, ha/status, ha/move: shellcheck -s sh finds nothing" {
	require_tool shellcheck shellcheck
	run -0 shellcheck -s sh "$TANDEM_ROOT/ha/bootstrap" "$TANDEM_ROOT/ha/status" "$TANDEM_ROOT/ha/move"
}
