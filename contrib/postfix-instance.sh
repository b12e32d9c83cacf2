#!/bin/bash
# postfix-instance.sh - write a private Postfix instance that hands every
# SMTP session to esmtpguard (reference/mta-behaviour.md §2): no chroot,
# loopback only, mail discarded, XCLIENT allowed from 127.0.0.0/8, its own
# maillog. Used by contrib/demo.sh and the end-to-end tests (t/e2e/lib.sh).
#
#	postfix-instance.sh DIR PORT MILTER_SOCKET MYHOSTNAME [EXTRA_MAIN_CF]
#
# Start it with `postfix -c DIR/etc start`; its log is DIR/log/maillog.
set -eu
[ $# -ge 4 ] || { echo "usage: $0 DIR PORT MILTER_SOCKET MYHOSTNAME [EXTRA]" >&2; exit 64; }
PF=$1 PORT=$2 SOCK=$3 NAME=$4 EXTRA=${5:-}

mkdir -p "$PF/etc" "$PF/data" "$PF/log" "$PF/spool"
# Postfix refuses a data_directory it does not own
chown postfix:postfix "$PF/data"
chmod 700 "$PF/data"
cat >"$PF/etc/main.cf" <<EOC
compatibility_level = 3.6
config_directory = $PF/etc
queue_directory = $PF/spool
data_directory = $PF/data
maillog_file = $PF/log/maillog
maillog_file_prefixes = $PF/log
myhostname = $NAME
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
local_recipient_maps =
relay_domains = static:ALL
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_authorized_xclient_hosts = 127.0.0.0/8
local_header_rewrite_clients =
alias_maps =
alias_database =
default_transport = discard:
relay_transport = discard:
local_transport = discard:
virtual_transport = discard:
disable_dns_lookups = yes
smtp_dns_support_level = disabled
notify_classes =
biff = no
smtpd_milters = unix:$SOCK
milter_default_action = tempfail
$EXTRA
EOC
cat >"$PF/etc/master.cf" <<EOC
127.0.0.1:$PORT inet n - n - - smtpd
pickup    unix n - n 60   1 pickup
cleanup   unix n - n -    0 cleanup
qmgr      unix n - n 300  1 qmgr
rewrite   unix - - n -    - trivial-rewrite
bounce    unix - - n -    0 bounce
defer     unix - - n -    0 bounce
trace     unix - - n -    0 bounce
verify    unix - - n -    1 verify
flush     unix n - n 1000? 0 flush
proxymap  unix - - n -    - proxymap
proxywrite unix - - n -   1 proxymap
showq     unix n - n -    - showq
error     unix - - n -    - error
retry     unix - - n -    - error
discard   unix - - n -    - discard
anvil     unix - - n -    1 anvil
scache    unix - - n -    1 scache
postlog   unix-dgram n - n - 1 postlogd
EOC
