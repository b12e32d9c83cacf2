#!/bin/bash
# e2e.sh - end-to-end throughput: smtp-source into a private Postfix that
# discards everything, in a private network namespace (t/e2e/lib.sh):
#
#	A  Postfix alone (smtpd_milters empty)
#	B  Postfix + t/bench/noop, a libmilter filter that inspects nothing
#	C  Postfix + esmtpguard, the shipped default policy (SPF off)
#	D  Postfix + esmtpguard, the shipped default policy with SPF on
#	   (MAIL FROM and HELO) against dnsmasq in the bench's namespace
#
# One Postfix instance listens on four ports, one per row, so nothing is
# restarted between runs. The clients come from 192.0.2.1, an address of
# the namespace's own (libspf2 takes a loopback client for "localhost"
# and asks no DNS), as a@sender.test with HELO client.test; the zone
# passes both. Both esmtpguards run detached, as the systemd unit runs
# them (-f would copy every line to stderr). Runs are interleaved
# A B C D, D C B A, A B C D ... and each row
# reports the median of BENCH_RUNS runs, and C and D each round's own
# ratio to B (median and range over the rounds), for two workloads: BENCH_MSGS
# messages of BENCH_SIZE bytes over 20 sessions, and the same plus, per
# BENCH_BIG_EVERY small ones, one MIME message with a BENCH_BIG-byte
# attachment (base64, so about 1.35 times that on the wire; smtp-source
# -F) over 2 more sessions. Also the milter's CPU per message
# (utime+stime from /proc).
#
# Environment (quick run: BENCH_MSGS=500 BENCH_RUNS=1):
#	BENCH_MSGS=5000 BENCH_SIZE=2000 BENCH_BIG=200000 BENCH_BIG_EVERY=10
#	BENCH_SESSIONS=20 BENCH_RUNS=5
# Output: one table on stdout (TAP comments are the diagnostics).
. "$(dirname "$0")/../e2e/lib.sh"

: "${BENCH_MSGS:=5000}" "${BENCH_SIZE:=2000}" "${BENCH_BIG:=200000}"
: "${BENCH_BIG_EVERY:=10}" "${BENCH_SESSIONS:=20}" "${BENCH_RUNS:=5}"
NOOP_BIN=$top_builddir/t/bench/noop
NOOP_SOCK=$T/noop.sock
[ -x "$NOOP_BIN" ] || skip_all "$NOOP_BIN not built (make bench builds it)"
SRC=$(command -v smtp-source) || skip_all "smtp-source (package postfix) not found"

command -v dnsmasq >/dev/null 2>&1 ||
	skip_all "dnsmasq not installed (contrib/deps.sh installs dnsmasq-base)"
CLIENT=192.0.2.1
ip addr add "$CLIENT/32" dev lo || skip_all "cannot add $CLIENT to lo"
echo "$CLIENT client.test" >>"$T/etc/hosts"
dns_start <<EOF || { echo "Bail out! dnsmasq does not start"; exit 1; }
txt-record=sender.test,"v=spf1 ip4:192.0.2.0/24 -all"
txt-record=client.test,"v=spf1 a -all"
host-record=client.test,$CLIENT
EOF

# the mix's big message: a text part and a BENCH_BIG-byte attachment, the
# same bytes every run
BIG=$T/big.eml
{
	printf 'From: <a@sender.test>\nTo: <b@rcpt.example>\nSubject: bench\n'
	printf 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="=_b"\n\n'
	printf -- '--=_b\nContent-Type: text/plain; charset=us-ascii\n\nAttached.\n\n'
	printf -- '--=_b\nContent-Type: application/octet-stream; name="bench.bin"\n'
	printf 'Content-Transfer-Encoding: base64\n'
	printf 'Content-Disposition: attachment; filename="bench.bin"\n\n'
	yes 'esmtpguard bench attachment' | head -c "$BENCH_BIG" | base64 -w 76
	printf -- '\n--=_b--\n'
} >"$BIG"

pf_setup
cat >>"$PF/etc/master.cf" <<EOC
$CLIENT:2601 inet n - n - - smtpd -o smtpd_milters=
$CLIENT:2602 inet n - n - - smtpd -o smtpd_milters=unix:$NOOP_SOCK
$CLIENT:$E2E_PORT inet n - n - - smtpd
$CLIENT:2604 inet n - n - - smtpd -o smtpd_milters=unix:$T/spf.sock
EOC
postconf -c "$PF/etc" -e "default_process_limit = 200" \
	"smtpd_client_connection_count_limit = 0" \
	"smtpd_client_connection_rate_limit = 0" \
	"smtpd_client_message_rate_limit = 0" "in_flow_delay = 0" \
	"mynetworks = 127.0.0.0/8 $CLIENT/32"
pf_start

# the shipped policy as it stands: C with SPF off, D with it on
policy() { sed -n '/^sendergroup RELAY_SG/,$p' "$top_srcdir/conf/esmtpguard.conf"; }
mkdir -p "$T/spf-state"
policy | SOCK=$T/spf.sock EG_PIDFILE=$T/spf.pid EG_STATE=$T/spf-state \
	EG_LOG=$T/spf.log eg_conf "$T/spf.conf"
grep -q 'verify = true' "$T/spf.conf" || skip_all "the shipped policy has no SPF"
policy | sed 's/verify = true/verify = false/' | eg_conf
SOCK=$T/spf.sock EG_PIDFILE=$T/spf.pid EG_CONF=$T/spf.conf eg_start_detached ||
	{ echo "Bail out! esmtpguard (SPF) does not start"; exit 1; }
SPF_PID=$EG_PID
eg_start_detached || { echo "Bail out! esmtpguard does not start"; exit 1; }
"$NOOP_BIN" "unix:$NOOP_SOCK" 2>"$T/noop.stderr" &
NOOP_PID=$!
wait_for 10 test -S "$NOOP_SOCK" || { echo "Bail out! noop does not start"; exit 1; }
trap 'kill $NOOP_PID $SPF_PID 2>/dev/null; e2e_cleanup' EXIT

cpu_of() { # PID - utime+stime in clock ticks
	[ -n "$1" ] && awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0
}
queue_empty() {
	[ -z "$(find "$PF/spool/incoming" "$PF/spool/active" "$PF/spool/maildrop" -type f 2>/dev/null | head -1)" ]
}

# run ROW PORT PID MIX - one timed run; prints "msg/s ms-cpu-per-msg"
run() {
	local port=$2 pid=$3 mix=$4 n=$BENCH_MSGS big=0 t0 t1 c0 c1 rc=0
	[ "$mix" = yes ] && big=$((BENCH_MSGS / BENCH_BIG_EVERY))
	wait_for 60 queue_empty
	c0=$(cpu_of "$pid")
	t0=$(date +%s.%N)
	"$SRC" -s "$BENCH_SESSIONS" -m "$n" -l "$BENCH_SIZE" \
		-M client.test -f a@sender.test -t b@rcpt.example "$CLIENT:$port" \
		2>>"$T/smtp-source.err" &
	local p1=$! p2=
	if [ "$big" -gt 0 ]; then
		"$SRC" -s 2 -m "$big" -F "$BIG" \
			-M client.test -f a@sender.test -t b@rcpt.example \
			"$CLIENT:$port" 2>>"$T/smtp-source.err" &
		p2=$!
	fi
	wait "$p1" || rc=1
	[ -n "$p2" ] && { wait "$p2" || rc=1; }
	t1=$(date +%s.%N)
	c1=$(cpu_of "$pid")
	[ "$rc" -eq 0 ] || diag "$1: smtp-source failed (see $T/smtp-source.err)"
	awk -v n=$((n + big)) -v t0="$t0" -v t1="$t1" -v c0="$c0" -v c1="$c1" \
	    -v hz="$(getconf CLK_TCK)" 'BEGIN {
		printf "%.1f %.3f\n", n / (t1 - t0), (c1 - c0) * 1000 / hz / n }'
}

median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# ROUND ROW - one round's value of a row, for its ratios
declare -A rate cpu one pr pc
for mix in no yes; do
	for r in $(seq "$BENCH_RUNS"); do
		# every other round backwards, so that no row always runs
		# after the same one on a machine that drifts
		order="A B C D"; [ $((r % 2)) -eq 0 ] && order="D C B A"
		for row in $order; do
			case $row in
			A) port=2601 pid= ;;
			B) port=2602 pid=$NOOP_PID ;;
			C) port=$E2E_PORT pid=$EG_PID ;;
			D) port=2604 pid=$SPF_PID ;;
			esac
			read -r mps ms < <(run "$row" "$port" "$pid" "$mix")
			diag "mix=$mix run $r row $row: $mps msg/s, $ms ms milter CPU/msg"
			rate[$mix$row]="${rate[$mix$row]:-} $mps"
			cpu[$mix$row]="${cpu[$mix$row]:-} $ms"
			one[$row]="$mps $ms"
		done
		# B, C and D of one round ran within a minute of each other:
		# their ratios leave out the drift between rounds
		for row in C D; do
			read -r ratio cratio < <(echo "${one[$row]} ${one[B]}" |
				awk '{ printf "%.3f %.3f\n", $1 / $3, $2 / $4 }')
			pr[$mix$row]="${pr[$mix$row]:-} $ratio"
			pc[$mix$row]="${pc[$mix$row]:-} $cratio"
		done
	done
done
med() { printf '%s\n' $1 | median; }
# spread LIST - "median (min-max)" of a list of ratios
spread() { printf "%.3f (%s-%s)" "$(med "$1")" \
	"$(printf '%s\n' $1 | sort -n | head -1)" "$(printf '%s\n' $1 | sort -n | tail -1)"; }

sent=$(count "$PF/log/maillog" 'status=sent')
expect=$(( BENCH_RUNS * 4 * (2 * BENCH_MSGS + BENCH_MSGS / BENCH_BIG_EVERY) ))
spf_pass=$(count "$T/spf.log" 'SPF: mailfrom identity .* Pass$')
spf_lines=$(count "$T/spf.log" ' SPF: ')
errs=$(count "$T/smtp-source.err" .)

echo
echo "messages: $BENCH_MSGS x $BENCH_SIZE B over $BENCH_SESSIONS sessions;" \
	"mix adds $((BENCH_MSGS / BENCH_BIG_EVERY)) MIME messages with a $BENCH_BIG B" \
	"attachment ($(stat -c %s "$BIG") B) over 2 sessions;" \
	"median of $BENCH_RUNS interleaved runs"
printf '%-34s %10s %8s %8s %14s\n' "row" "msg/s" "vs A" "vs B" "milter ms/msg"
for mix in no yes; do
	a=$(med "${rate[${mix}A]}") b=$(med "${rate[${mix}B]}")
	for row in A B C D; do
		case $row in
		A) name="Postfix alone" ;;
		B) name="+ no-op libmilter filter" ;;
		C) name="+ esmtpguard (default policy)" ;;
		D) name="+ esmtpguard, SPF on" ;;
		esac
		[ "$mix" = yes ] && name="$name, mix"
		v=$(med "${rate[$mix$row]}") c=$(med "${cpu[$mix$row]}")
		[ "$row" = A ] && c=-
		awk -v n="$name" -v v="$v" -v a="$a" -v b="$b" -v c="$c" 'BEGIN {
			printf "%-34s %10.1f %8.3f %8.3f %14s\n", n, v, v / a, v / b, c }'
	done
done
echo "each round's own ratio to B, median (range) of $BENCH_RUNS rounds:"
for mix in no yes; do
	for row in C D; do
		name="$row/B"; [ "$mix" = yes ] && name="$name, mix"
		printf '  %-10s msg/s %s   milter CPU/msg %s\n' "$name" \
			"$(spread "${pr[$mix$row]}")" "$(spread "${pc[$mix$row]}")"
	done
done
echo "MIME anomalies logged: $(count "$EG_LOG" ' MIME: ')" \
	"$(count "$T/spf.log" ' MIME: '); rules matched: $(count "$EG_LOG" ' matched ')" \
	"$(count "$T/spf.log" ' matched ') (C, D; the mix's messages are clean)"
echo "SPF row: $spf_lines SPF result lines logged, $spf_pass MAIL FROM Pass"
echo "delivered (status=sent): $sent of $expect; smtp-source error lines: $errs"
eg_stop
EG_PID=$SPF_PID eg_stop
