#!/bin/sh
# load-table.sh: the latency table of `ordertwin load` against a live
# server at several rates (docs/load.md, "The latency table").
#
#   bench/load-table.sh BIN [DURATION] [RATE...]
#
# BIN is a built ordertwin (go build -o /tmp/ordertwin ./cmd/ordertwin);
# DURATION (default 20s) is each run's; RATEs default to 100 300 500
# orders a second. PORT (default 18932) is where serve listens on
# loopback; SERVE_FLAGS, when set, are more flags for serve.
#
# Each rate, on a fresh store in a temporary folder: serve
# scenarios/live/population.yaml, then load it from its customers (quote
# then order, open loop) for DURATION. One line a rate: the order's and
# the quote's p50/p90/p99/p99.9 in milliseconds, the orders a second held,
# arrivals dropped, errors, the server's CPU an order (utime+stime of
# /proc/PID/stat over the load), the worst one-second window's order p99
# over the run's second half (what the run's steady part looks like: the
# first half of a short run is lighter, its orders' later waves not yet
# released), and the load average before it.
set -eu
BIN=${1:?usage: load-table.sh BIN [DURATION] [RATE...]}
DUR=${2:-20s}
[ $# -gt 2 ] && shift 2 || set -- 100 300 500
PORT=${PORT:-18932}
HERE=$(cd "$(dirname "$0")/.." && pwd)
SCEN=$HERE/scenarios/live/population.yaml
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
TCK=$(getconf CLK_TCK)
URL=http://127.0.0.1:$PORT
cpu() { awk -v t="$TCK" '{printf "%.2f", ($14+$15)/t}' "/proc/$1/stat"; }

ready() {
	i=0
	until [ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/readyz" 2>/dev/null)" = 200 ]; do
		i=$((i + 1))
		[ $i -lt 12000 ] || { echo "serve: not ready after 60 s" >&2; exit 1; }
		sleep 0.005
	done
}

echo "| rate | order p50 / p90 / p99 / p99.9 ms | quote p50 / p90 / p99 / p99.9 ms | held /s | dropped | errors | server CPU an order | worst 1 s order p99, 2nd half | load avg |"
echo "|---|---|---|---|---|---|---|---|---|"
for rate in "$@"; do
	load=$(cut -d' ' -f1 /proc/loadavg)
	rm -f "$DIR"/s.db*
	"$BIN" serve "$SCEN" --db "$DIR/s.db" --addr "127.0.0.1:$PORT" ${SERVE_FLAGS:-} >"$DIR/serve.out" 2>"$DIR/serve.log" &
	pid=$!
	ready
	TOKEN=$("$BIN" token --role admin --key "$DIR/s.db.issuer.pem")
	c0=$(cpu $pid)
	ORDERTWIN_TOKEN=$TOKEN "$BIN" load --to "$URL" --scenario "$SCEN" --rate "$rate" --duration "$DUR" --json "$DIR/load.json" >"$DIR/load.out" 2>&1 || true
	c1=$(cpu $pid)
	kill -INT $pid
	wait $pid || true
	jq -r --arg rate "$rate" --argjson cpu "$(echo "$c1 - $c0" | bc -l)" '
		def r2: . * 100 | round / 100;
		def q(op): .operations[op] | "\(.p50Ms | r2) / \(.p90Ms | r2) / \(.p99Ms | r2) / \(.p999Ms | r2)";
		(.timeline | length) as $n
		| ([.timeline[($n / 2 | floor):][] | .operations.order.p99Ms // 0] | max | r2) as $worst
		| (.operations.order.ok // 0) as $ok
		| [.operations[].errors // {} | to_entries[]] as $errs
		| ([$errs[] | select(.key == "dropped") | .value] | add // 0) as $dropped
		| ([$errs[] | select(.key != "dropped") | .value] | add // 0) as $other
		| "| \($rate)/s | \(q("order")) | \(q("quote")) | \(.operations.order.perSecond | r2) | \($dropped) | \($other) | \(if $ok > 0 then ($cpu * 1000 / $ok | r2) else "-" end) ms | \($worst) ms |"
	' "$DIR/load.json" | tr -d '\n'
	echo " $load |"
done
