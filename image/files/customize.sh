#!/bin/sh
# customize.sh - run by image/build inside the new root file system (chroot)
# after mmdebstrap installed the packages: puts Tandem's files in place and
# makes the image node-neutral. Files from image/files/ are in /tmp/files.
#
# It must never leave anything node-specific behind (host keys, machine-id,
# host name): the first boot creates those (tandem-seed.service).
set -eu
f=/tmp/files

# tandemd, tandemctl, the OCF agent, the appliance scripts (/usr/share/tandem).
install -m 0755 "$f/tandemd" /usr/sbin/tandemd
install -m 0755 "$f/tandemctl" /usr/sbin/tandemctl
install -D -m 0755 /usr/share/tandem/resource-agents/tandemd /usr/lib/ocf/resource.d/tandem/tandemd
install -m 0755 "$f/tandem-seed" /usr/lib/tandem-seed
install -m 0755 "$f/tandem-firstboot" /usr/lib/tandem-firstboot
chmod 0755 /usr/share/tandem/ha/bootstrap /usr/share/tandem/ha/status /usr/share/tandem/ha/move \
	/usr/share/tandem/postfix/apply.sh /usr/share/tandem/filters/apply.sh

# tandemd runs as "tandem" after binding its sockets.
getent passwd tandem >/dev/null ||
	useradd --system --home-dir /srv/tandem --no-create-home --shell /usr/sbin/nologin tandem

# tandem.conf: the example, pointed at the DRBD volume and the Postfix queue on it.
mkdir -p /etc/tandem
q=/srv/tandem/postfix/private
sed -e "s|^sqlite_path = .*|sqlite_path = /srv/tandem/db/tandem.db|" \
	-e "s|^lmtp_listen = .*|lmtp_listen = 127.0.0.1:2424,unix:$q/tandem-lmtp|" \
	-e "s|^unix_socket_mode = .*|unix_socket_mode = 0666|" \
	-e "s|^imap_listen = .*|imap_listen = *:143|" \
	-e "s|^pop3_listen = .*|pop3_listen = *:110|" \
	-e "s|^managesieve_listen = .*|managesieve_listen = *:4190|" \
	-e "s|^policy_listen =.*|policy_listen = unix:$q/tandem-policy|" \
	-e "s|^sasl_listen =.*|sasl_listen = unix:$q/tandem-auth|" \
	-e "s|^socketmap_listen =.*|socketmap_listen = unix:$q/tandem-map|" \
	-e "s|^tls_cert_file =.*|tls_cert_file = /srv/tandem/tls/cert.pem|" \
	-e "s|^tls_key_file =.*|tls_key_file = /srv/tandem/tls/key.pem|" \
	-e "s|^run_user =.*|run_user = tandem|" \
	-e "s|^log_target = .*|log_target = syslog|" \
	/tmp/tandem.conf.example >/etc/tandem/tandem.conf
cat >>/etc/tandem/tandem.conf <<'EOF'

# ---- appliance image ----
# Written by image/build from daemon/tandem.conf.example: the database and the
# Postfix sockets are on the DRBD volume (/srv/tandem), mounted only on the
# node that runs the service; Pacemaker (ocf:tandem:tandemd) starts tandemd.
# The private/ directory is Postfix's (mode 0700): socket mode 0666 lets
# Postfix's processes in, nobody else reaches it. TLS: the certificate and
# key on the volume (ha/bootstrap --format makes a self-signed pair there;
# replace them with the real ones; tandemd re-reads them on SIGHUP).
EOF
chmod 0644 /etc/tandem/tandem.conf
mkdir -p /srv/tandem

# Units: tandemd (disabled: Pacemaker runs it), the first-boot pair.
cp "$f/tandemd.service" "$f/tandem-seed.service" "$f/tandem-firstboot.service" /etc/systemd/system/
systemctl enable tandem-seed.service tandem-firstboot.service
# Only Pacemaker starts the mail service; corosync and pacemaker are enabled
# by ha/bootstrap once the node has its configuration. No network at build
# time or in the lab: freshclam stays off (the admin enables it).
for unit in tandemd postfix clamav-daemon clamav-milter clamav-freshclam spamd spamass-milter \
	corosync pacemaker; do
	systemctl disable "$unit.service" 2>/dev/null || true
done

# Network: ifupdown; bootstrap writes interfaces.d/bond0 and repl per node.
cat >/etc/network/interfaces <<'EOF'
# The loopback here; bond0 and the replication NIC in interfaces.d/, written
# by ha/bootstrap from /etc/tandem/appliance.conf at first boot.
auto lo
iface lo inet loopback

source /etc/network/interfaces.d/*
EOF
mkdir -p /etc/network/interfaces.d
cat >/etc/modules-load.d/tandem.conf <<'EOF'
# bonding for bond0 (ifenslave loads it too), drbd for the mail volume.
bonding
drbd
EOF

# Root file system by label: /dev/vda under QEMU, /dev/ubda under UML.
cat >/etc/fstab <<'EOF'
LABEL=tandemroot / ext4 defaults,errors=remount-ro 0 1
EOF

# ssh: root with the build-time key only.
mkdir -p /root/.ssh
install -m 0600 "$f/authorized_keys" /root/.ssh/authorized_keys
chmod 0700 /root/.ssh
cat >/etc/ssh/sshd_config.d/tandem.conf <<'EOF'
PermitRootLogin prohibit-password
PasswordAuthentication no
UseDNS no
EOF

# Postfix: no build-host name inside (tandem-seed sets the node's).
postconf -e myhostname=tandem.invalid mydestination=localhost inet_interfaces=loopback-only
echo tandem.invalid >/etc/mailname

# No resolver of the build host's: the admin's network gives one (an empty
# file means 127.0.0.1, which answers "refused" at once rather than timing out).
rm -f /etc/resolv.conf
: >/etc/resolv.conf

# Node-neutral: no host keys, no machine-id, a neutral host name.
rm -f /etc/ssh/ssh_host_*
: >/etc/machine-id
rm -f /var/lib/dbus/machine-id
echo tandem >/etc/hostname
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >/etc/hosts
