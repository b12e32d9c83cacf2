# shellcheck shell=bash disable=SC2034
# lib.sh - shared harness of the end-to-end tests (sourced, bash).
#
# A test script does:
#	E2E_PORT=25251
#	. "$(dirname "$0")/lib.sh"	# re-execs the script in private namespaces
#	pf_start; eg_conf <<EOF ... EOF; eg_start
#	... assertions ...
#	done_testing
#
# Isolation: the script re-execs itself under `unshare -m -n`: a private
# mount namespace, where /etc/hosts and /etc/resolv.conf are bind-mounted
# from the test directory, and a private network namespace with only a
# loopback interface, so no packet can leave the machine. Postfix,
# esmtpguard, swaks and our own SMTP client all run in there. Everything the
# test starts is stopped at exit by its pid; nothing is ever killed by name.
#
# Environment: top_srcdir and top_builddir (set by `make check`; default
# to the source tree), E2E_KEEP=1 keeps the test directory.

set -u

E2E_ME=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
: "${top_srcdir:=$(cd "$(dirname "$E2E_ME")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${E2E_PORT:=25250}"
export top_srcdir top_builddir
EG_BIN=$top_builddir/src/esmtpguard

# --- TAP ----------------------------------------------------------------
E2E_N=0
E2E_FAILED=0

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

plan() { echo "1..$1"; E2E_PLANNED=1; }
done_testing() { [ -n "${E2E_PLANNED:-}" ] || echo "1..$E2E_N"; }

diag() {
	local line
	printf '%s\n' "$@" | while IFS= read -r line; do
		printf '# %s\n' "$line"
	done
}

# diag_file FILE [LINES] - the tail of a log, as TAP comments
diag_file() {
	if [ -s "$1" ]; then
		diag "--- ${1#"$T"/} (last ${2:-25} lines) ---"
		tail -n "${2:-25}" "$1" | sed 's/^/#   /'
	else
		diag "--- ${1#"$T"/}: empty or missing ---"
	fi
}

# the logs that explain a failure (and E2E_SHOW, the file a check read)
diag_logs() {
	case ${E2E_SHOW:-} in
	"" | "$EG_LOG" | "$T/last.out") ;;
	*) diag_file "$E2E_SHOW" 15 ;;
	esac
	E2E_SHOW=
	diag_file "$EG_LOG"
	diag_file "$T/esmtpguard.stderr" 10
	[ -f "$PF/log/maillog" ] && diag_file "$PF/log/maillog" 10
	[ -f "$SM/log/traffic.log" ] && diag_file "$SM/log/traffic.log" 10
	[ -s "$T/last.out" ] && diag_file "$T/last.out" 15
	return 0
}

pass() { E2E_N=$((E2E_N + 1)); echo "ok $E2E_N - $1"; E2E_SHOW=; }
fail() {
	E2E_N=$((E2E_N + 1)); E2E_FAILED=$((E2E_FAILED + 1))
	echo "not ok $E2E_N - $1"
	shift
	[ $# -gt 0 ] && diag "$@"
	diag_logs
	return 0
}

# ok DESC CMD... - passes when CMD succeeds
ok() {
	local d=$1; shift
	if "$@"; then pass "$d"; else fail "$d" "command failed: $*"; fi
}

# is GOT EXPECTED DESC
is() {
	if [ "$1" = "$2" ]; then pass "$3"
	else fail "$3" "got:      '$1'" "expected: '$2'"; fi
}

# like FILE ERE DESC / unlike FILE ERE DESC - a line of FILE matches (not)
like() {
	E2E_SHOW=$1
	if grep -Eq -- "$2" "$1" 2>/dev/null; then pass "$3"
	else fail "$3" "no line of ${1#"$T"/} matches: $2"; fi
}
unlike() {
	E2E_SHOW=$1
	if ! grep -Eq -- "$2" "$1" 2>/dev/null; then pass "$3"
	else fail "$3" "unexpected line in ${1#"$T"/}:" \
		"$(grep -E -- "$2" "$1" | head -3)"; fi
}

# in_order FILE DESC ERE... - the EREs match lines of FILE in this order
in_order() {
	local f=$1 d=$2; shift 2
	local re lineno=0 n
	E2E_SHOW=$f
	for re in "$@"; do
		n=$(awk -v start="$lineno" -v re="$re" \
			'NR > start && $0 ~ re { print NR; exit }' "$f")
		if [ -z "$n" ]; then
			fail "$d" "not found (after line $lineno): $re"
			return 0
		fi
		lineno=$n
	done
	pass "$d"
}

# count FILE ERE - number of matching lines
count() { grep -Ec -- "$2" "$1" 2>/dev/null || true; }

# --- isolation: re-exec in private mount + network namespaces ----------
if [ -z "${E2E_IN_NS:-}" ]; then
	[ "$(id -u)" -eq 0 ] || skip_all "needs root (private namespaces, Postfix)"
	for tool in postfix postcat swaks unshare ip; do
		command -v "$tool" >/dev/null 2>&1 ||
			PATH=$PATH:/usr/sbin:/sbin command -v "$tool" >/dev/null 2>&1 ||
			skip_all "$tool not installed (contrib/deps.sh installs it)"
	done
	export PATH=$PATH:/usr/sbin:/sbin
	[ -x "$EG_BIN" ] || skip_all "$EG_BIN not built"
	unshare --mount --net --propagation private -- true 2>/dev/null ||
		skip_all "cannot create private mount and network namespaces (unshare -m -n)"
	export E2E_IN_NS=1
	# shellcheck disable=SC2093
	exec unshare --mount --net --propagation private -- bash "$E2E_ME" "$@"
	skip_all "unshare failed"
fi

ip link set lo up || skip_all "cannot bring up lo in the test network namespace"

T=$(mktemp -d "${TMPDIR:-/tmp}/esmtpguard-e2e.XXXXXX")
chmod 755 "$T"		# smtpd (user postfix) reaches the milter socket
PF=$T/pf
SOCK=$T/esmtpguard.sock
EG_CONF=$T/esmtpguard.conf
EG_LOG=$T/esmtpguard.log
EG_PIDFILE=$T/esmtpguard.pid
EG_STATE=$T/state
EG_PID=
mkdir -p "$T/etc" "$EG_STATE"
: >"$EG_LOG"

# private name service: loopback names only, a resolver nobody answers
{
	echo "127.0.0.1 localhost mx.test.example"
	echo "::1 localhost ip6-localhost"
	[ -n "${E2E_HOSTS:-}" ] && printf '%s\n' "$E2E_HOSTS"
} >"$T/etc/hosts"
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$T/etc/resolv.conf"
if ! mount --bind "$T/etc/hosts" /etc/hosts ||
   ! mount --bind "$T/etc/resolv.conf" /etc/resolv.conf; then
	skip_all "cannot bind-mount a private /etc/hosts and resolv.conf"
fi

e2e_cleanup() {
	local rc=$?
	[ -n "$EG_PID" ] && eg_kill9 >/dev/null 2>&1
	pf_stop >/dev/null 2>&1
	sm_stop >/dev/null 2>&1
	dns_stop >/dev/null 2>&1
	if [ "${E2E_KEEP:-}" = 1 ] || [ "$E2E_FAILED" -gt 0 ]; then
		echo "# test files kept in $T"
	else
		rm -rf "$T"
	fi
	exit "$rc"
}
trap e2e_cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# wait_for SECONDS CMD... - poll CMD every 0.1 s
wait_for() {
	local tries=$(($1 * 10)); shift
	while [ "$tries" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		tries=$((tries - 1))
	done
	return 1
}

# alive PID - running and not a zombie
alive() {
	[ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
	local st
	st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$st" ] && [ "$st" != Z ]
}

# --- private Postfix (reference/mta-behaviour.md §2) ---------------------
# PF_EXTRA: extra main.cf lines (e.g. hold every message)
pf_setup() {
	bash "$top_srcdir/contrib/postfix-instance.sh" "$PF" "$E2E_PORT" "$SOCK" \
	    mx.test.example "milter_connect_timeout = 10s
${PF_EXTRA:-}"
}

pf_start() {
	[ -f "$PF/etc/main.cf" ] || pf_setup
	if ! postfix -c "$PF/etc" check >"$T/postfix-check.out" 2>&1 ||
	   ! postfix -c "$PF/etc" start >"$T/postfix-start.out" 2>&1; then
		echo "Bail out! private Postfix does not start"
		sed 's/^/# /' "$T/postfix-check.out" "$T/postfix-start.out" \
			"$PF/log/maillog" 2>/dev/null
		exit 1
	fi
}

pf_master_pid() { tr -d ' ' <"$PF/spool/pid/master.pid" 2>/dev/null; }

pf_stop() {
	local pid
	pid=$(pf_master_pid)
	[ -n "$pid" ] || return 0
	postfix -c "$PF/etc" stop >/dev/null 2>&1
	# postfix stop returns at once; the master exits 1-2 s later
	wait_for 20 eval "! kill -0 $pid 2>/dev/null"
}

# pf_healthy - Postfix logged nothing fatal (a fatal smtpd throttles and
# clients then time out without a banner)
pf_healthy() { ! grep -Eq 'fatal|throttling' "$PF/log/maillog" 2>/dev/null; }

# --- private Sendmail (reference/mta-behaviour.md §5) --------------------
# contrib/sendmail-instance.sh in $SM, listening on 127.0.0.1:$SM_PORT
# (default E2E_PORT), no queue runner: accepted mail stays in $SM/queue.
# SM_EXTRA: extra .mc lines (e.g. a second DAEMON_OPTIONS).
SM=$T/sm
SM_PID=

# sm_available - the unpacked Sendmail is there (contrib/deps.sh)
sm_available() { [ -x "$(bash "$top_srcdir/contrib/sendmail-instance.sh" --binary)" ]; }

# sm_listening PORT - something listens on PORT (ss: no connection made,
# so no session reaches esmtpguard)
sm_listening() { [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }

sm_start() {
	local bin
	bin=$(bash "$top_srcdir/contrib/sendmail-instance.sh" --binary)
	[ -f "$SM/etc/sendmail.cf" ] ||
		bash "$top_srcdir/contrib/sendmail-instance.sh" "$SM" \
		    "${SM_PORT:-$E2E_PORT}" "$SOCK" mx.test.example "${SM_EXTRA:-}" \
		    >"$T/sendmail-setup.out" 2>&1 || {
		echo "Bail out! private Sendmail cannot be set up"
		sed 's/^/# /' "$T/sendmail-setup.out"
		exit 1
	}
	# -bD: daemon in the foreground, so $! is the daemon; -X: transcript
	"$bin" -C "$SM/etc/sendmail.cf" -bD -X "$SM/log/traffic.log" \
		>>"$SM/log/sendmail.out" 2>&1 &
	SM_PID=$!
	if ! wait_for 10 sm_listening "${SM_PORT:-$E2E_PORT}"; then
		echo "Bail out! private Sendmail does not listen"
		sed 's/^/# /' "$SM/log/sendmail.out" 2>/dev/null
		exit 1
	fi
}

sm_stop() {
	[ -n "$SM_PID" ] || return 0
	kill -TERM "$SM_PID" 2>/dev/null
	wait_for 20 eval "! alive $SM_PID"
	SM_PID=
}

# sm_queued ID - Sendmail holds message ID in its queue (qf and df files)
sm_queued() { [ -f "$SM/queue/qf$1" ] && [ -f "$SM/queue/df$1" ]; }

# --- a DNS server of the test's own (reference/mta-behaviour.md §6) -------
# dns_start < dnsmasq.conf lines - dnsmasq on 127.0.0.1:53 in the test's
# network namespace, where the private resolv.conf already points. It
# answers for .test from its configuration (what it does not list does not
# exist) and refuses everything else: it has no upstream server, and the
# namespace has no way out anyway. Queries are logged to $T/dns/queries.
# Stopped by its pid at exit.
DNS_DIR=$T/dns
DNS_PID=
dns_start() {
	mkdir -p "$DNS_DIR"
	{
		cat <<EOF
port=53
listen-address=127.0.0.1
bind-interfaces
no-resolv
no-hosts
log-queries
log-facility=$DNS_DIR/queries
pid-file=$DNS_DIR/dnsmasq.pid
local=/test/
EOF
		cat
	} >"$DNS_DIR/dnsmasq.conf"
	if ! dnsmasq --conf-file="$DNS_DIR/dnsmasq.conf" --user=root \
	    --group=root >"$DNS_DIR/dnsmasq.out" 2>&1 ||
	   ! wait_for 5 test -s "$DNS_DIR/dnsmasq.pid"; then
		diag_file "$DNS_DIR/dnsmasq.out"
		return 1
	fi
	DNS_PID=$(cat "$DNS_DIR/dnsmasq.pid")
}
dns_stop() {
	[ -n "$DNS_PID" ] || return 0
	kill "$DNS_PID" 2>/dev/null
	wait_for 5 eval "! alive $DNS_PID"
	DNS_PID=
}

# dns_blackhole - an address where DNS queries vanish without an answer
# (routed into lo, where no local address takes them, so they are dropped
# without an ICMP error): "server=/dead.test/$(dns_blackhole)" makes a
# zone whose server never answers
dns_blackhole() {
	ip route replace 198.51.100.0/24 dev lo 2>/dev/null
	echo 198.51.100.53
}

# --- esmtpguard ---------------------------------------------------------
# eg_conf [FILE] < body - write a configuration: the private globals, then
# the sender groups and policies from stdin
eg_conf() {
	local f=${1:-$EG_CONF}
	{
		cat <<EOF
socket = "unix:$SOCK"
socket_mode = "0666"
user = ""
pidfile = "$EG_PIDFILE"
state_dir = "$EG_STATE"
log_file = "$EG_LOG"
syslog_facility = "mail"
on_internal_error = "tempfail"
id_header = "X-ESMTPGuard-ID"
EOF
		cat
	} >"$f"
}

# eg_start [ARGS...] - start esmtpguard -f in the background with the
# test configuration; waits for its pidfile and socket. 0 when it runs.
# A wrapper subshell waits for it and keeps its exit status (and keeps the
# shell's "Killed" job notices out of the TAP stream).
eg_start() {
	rm -f "$EG_PIDFILE" "$T/eg.child" "$T/eg.status"
	(
		"$EG_BIN" -f -c "$EG_CONF" "$@" >>"$T/esmtpguard.stderr" 2>&1 &
		echo $! >"$T/eg.child"
		wait $!
		echo $? >"$T/eg.status"
	) 2>/dev/null &
	E2E_WRAP=$!
	wait_for 5 test -s "$T/eg.child"
	E2E_CHILD=$(cat "$T/eg.child")
	EG_PID=$E2E_CHILD
	if ! wait_for 10 eg_ready; then
		if alive "$E2E_CHILD"; then
			diag "esmtpguard (pid $E2E_CHILD) runs but has no pidfile or socket"
		else
			wait "$E2E_WRAP"
			diag "esmtpguard exited with status $(cat "$T/eg.status" 2>/dev/null)"
			EG_PID=
		fi
		diag_file "$T/esmtpguard.stderr" 10
		return 1
	fi
	EG_PID=$(cat "$EG_PIDFILE")
	return 0
}
eg_ready() { alive "$E2E_CHILD" && [ -s "$EG_PIDFILE" ] && [ -S "$SOCK" ]; }

# eg_start_detached [ARGS...] - start esmtpguard as the systemd unit does:
# detached, without -f (which copies every log line to stderr, a cost
# production does not pay; for the benches). EG_PID from its pidfile.
eg_start_detached() {
	rm -f "$EG_PIDFILE"
	"$EG_BIN" -c "$EG_CONF" "$@" >>"$T/esmtpguard.stderr" 2>&1 || return 1
	wait_for 30 eval '[ -s "$EG_PIDFILE" ] && [ -S "$SOCK" ]' || return 1
	EG_PID=$(cat "$EG_PIDFILE")
	E2E_CHILD=
}

# eg_stop [SIGNAL] - signal our esmtpguard (TERM) and wait until it has
# exited (libmilter takes ~6 s); its exit status in EG_STATUS. 1 on timeout.
eg_stop() {
	EG_STATUS=
	[ -n "$EG_PID" ] || return 0
	kill "-${1:-TERM}" "$EG_PID" 2>/dev/null
	if ! wait_for 30 eval "! alive $EG_PID"; then
		diag "esmtpguard pid $EG_PID did not stop within 30 s"
		return 1
	fi
	if [ "$EG_PID" = "${E2E_CHILD:-}" ]; then
		wait "$E2E_WRAP"
		EG_STATUS=$(cat "$T/eg.status" 2>/dev/null)
	fi
	EG_PID=
	return 0
}

# eg_kill9 - crash it
eg_kill9() { eg_stop KILL; }

# --- clients -------------------------------------------------------------
# sw ARGS... - swaks against the private Postfix; transcript in $T/last.out
sw() {
	timeout 60 swaks --server "127.0.0.1:$E2E_PORT" --timeout 20 \
		--helo client.test.example "$@" >"$T/last.out" 2>&1
}

# A plain SMTP client, for what swaks cannot do (drop mid-DATA, several
# connections at once): c_* take the connection's file descriptor; the
# transcript goes to $T/last.out as "FD> command" and "<FD reply".
c_open() {
	eval "exec $1<>/dev/tcp/127.0.0.1/$E2E_PORT" || return 1
	c_read "$1"
}
# c_read FD - read one (multi-line) reply; its last line in C_REPLY,
# "(closed)" when the server closed the connection
c_read() {
	local line
	C_REPLY=
	while IFS= read -r -t 20 -u "$1" line; do
		line=${line%$'\r'}
		echo "<$1 $line" >>"$T/last.out"
		C_REPLY=$line
		case $line in [0-9][0-9][0-9]-*) continue ;; esac
		return 0
	done
	C_REPLY="(closed)"
	echo "<$1 (connection closed or timeout)" >>"$T/last.out"
	return 1
}
# c_cmd FD LINE - send a command, read the reply
c_cmd() {
	echo "$1> $2" >>"$T/last.out"
	printf '%s\r\n' "$2" >&"$1" 2>/dev/null && c_read "$1"
}
# c_send FD LINE - send without waiting (message content)
c_send() {
	echo "$1> $2" >>"$T/last.out"
	printf '%s\r\n' "$2" >&"$1"
}
c_close() { eval "exec $1>&- $1<&-"; }
# c_as FD ADDR - a connection presented as client ADDR (Postfix XCLIENT)
c_as() {
	c_open "$1" && c_cmd "$1" "EHLO client.test.example" &&
		c_cmd "$1" "XCLIENT ADDR=$2 NAME=[UNAVAILABLE]" &&
		c_cmd "$1" "EHLO client.test.example"
}

# The one-connection form on fd 3; the last reply in SMTP_REPLY.
smtp_open() { : >"$T/last.out"; c_open 3; SMTP_REPLY=$C_REPLY; }
smtp_read() { c_read 3; local rc=$?; SMTP_REPLY=$C_REPLY; return $rc; }
smtp_cmd() { c_cmd 3 "$1"; local rc=$?; SMTP_REPLY=$C_REPLY; return $rc; }
smtp_send() { c_send 3 "$1"; }
smtp_close() { c_close 3; }

# --- the esmtpguard log ---------------------------------------------------
# ESA file format: "Thu Aug 14 11:04:31 2014 Info: <text>"
ESA_TS='^[A-Z][a-z]{2} [A-Z][a-z]{2} +[0-9]{1,2} [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4} Info: '

# log_mark - remember where the log ends; log_new - what came after, in
# $T/new.log (the lines of the sessions since the mark)
log_mark() { E2E_MARK=$(wc -l <"$EG_LOG"); }
log_new() { tail -n "+$((E2E_MARK + 1))" "$EG_LOG" >"$T/new.log"; }

# wait_close [N] - wait (10 s) until N more "ICID n close" lines arrived
# since the mark (default 1), then refresh new.log
wait_close() {
	wait_for 10 eval "log_new; [ \$(count \"\$T/new.log\" ' ICID [0-9]+ close\$') -ge ${1:-1} ]"
	log_new
}

# icid_of ERE - the ICID of the first "New SMTP ICID" line in new.log that
# matches ERE (e.g. "address 10.1.2.3 ")
icid_of() {
	grep -E "New SMTP ICID [0-9]+ .*$1" "$T/new.log" | head -1 |
		sed -E 's/.*New SMTP ICID ([0-9]+) .*/\1/'
}
# mids_of ICID - the MIDs started in that connection, in order
mids_of() {
	grep -E "Start MID [0-9]+ ICID $1\$" "$T/new.log" |
		sed -E 's/.*Start MID ([0-9]+) ICID.*/\1/'
}

# has FILE STRING DESC - a line of FILE contains STRING (fixed string)
has() {
	E2E_SHOW=$1
	if grep -Fq -- "$2" "$1" 2>/dev/null; then pass "$3"
	else fail "$3" "no line of ${1#"$T"/} contains: $2"; fi
}
