#!/bin/sh
# live-national.sh: the national rollout served live against the same
# scenario run in virtual time (docs/load.md, "The national rollout live").
#
#   bench/live-national.sh BIN [RUNS] [RETENTION] [SCALE] [PORT]
#
# BIN is a built ordertwin (go build -o /tmp/ordertwin ./cmd/ordertwin);
# RUNS (default 5) pairs of runs, alternating; RETENTION (default P7D) and
# SCALE (default 2000000) are serve's --retention and --scale; PORT
# (default 18931) is where serve listens on loopback. SERVE_FLAGS, when
# set, are more flags for serve (such as "--snapshot-every 1000000").
#
# Each pair, on fresh stores in a temporary folder:
#   serve:   serve scenarios/national-rollout.yaml until the metrics count
#            400 product orders completed and every order has left memory
#            (retention: its CPU stays still for half a second), then,
#            21 s later, idle, its CPU (utime+stime of /proc/PID/stat;
#            with the snapshot helpers it ran, cutime+cstime too), its RSS,
#            the size of the store; a clean stop (SIGINT, a snapshot);
#            then serve again on the same store: the time until /readyz
#            answers 200; its RSS once ready;
#   run:     run scenarios/national-rollout.yaml --db, CPU (user+system) and
#            peak RSS by /usr/bin/time.
# One line a run; the load average before each pair.
set -eu
BIN=${1:?usage: live-national.sh BIN [RUNS] [RETENTION] [SCALE] [PORT]}
RUNS=${2:-5}
RET=${3:-P7D}
SCALE=${4:-2000000}
PORT=${5:-18931}
HERE=$(cd "$(dirname "$0")/.." && pwd)
SCEN=$HERE/scenarios/national-rollout.yaml
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
TCK=$(getconf CLK_TCK)
URL=http://127.0.0.1:$PORT

cpu() { awk -v t="$TCK" '{printf "%.2f", ($14+$15)/t}' "/proc/$1/stat"; }
# with the snapshot helpers it started and waited for
cpuall() { awk -v t="$TCK" '{printf "%.2f", ($14+$15+$16+$17)/t}' "/proc/$1/stat"; }
rss() { awk '/VmRSS/ {printf "%d", $2/1024}' "/proc/$1/status"; }
now() { date +%s.%N; }
metric() { curl -s -H "Authorization: Bearer $TOKEN" "$URL/metrics" | awk -v m="$1" 'index($0, m" ") == 1 {print $2}'; }

# ready waits for /readyz (every 5 ms, at most 60 s).
ready() {
	i=0
	until [ "$(curl -s -o /dev/null -w '%{http_code}' "$URL/readyz" 2>/dev/null)" = 200 ]; do
		i=$((i + 1))
		[ $i -lt 12000 ] || { echo "serve: not ready after 60 s" >&2; exit 1; }
		sleep 0.005
	done
}

for r in $(seq "$RUNS"); do
	echo "pair $r: load average $(cut -d' ' -f1-3 /proc/loadavg)"
	rm -f "$DIR"/s.db* "$DIR"/r.db*
	"$BIN" serve "$SCEN" --db "$DIR/s.db" --addr "127.0.0.1:$PORT" --scale "$SCALE" --retention "$RET" ${SERVE_FLAGS:-} >"$DIR/serve.out" 2>"$DIR/serve.log" &
	pid=$!
	ready
	TOKEN=$("$BIN" token --role operations --key "$DIR/s.db.issuer.pem")
	# Every order completed, then every order gone from memory: the
	# product orders in memory (ordertwin_product_orders counts the
	# completed ones on the shelf too) are read from the engine's gauge.
	until [ "$(metric 'ordertwin_product_orders{state="completed"}')" = 400 ]; do sleep 0.1; done

	# Quiet: CPU unchanged over half a second (the retention's retirements
	# and the notifier done).
	c0=$(cpu $pid); sleep 0.5; c1=$(cpu $pid)
	while [ "$c0" != "$c1" ]; do c0=$c1; sleep 0.5; c1=$(cpu $pid); done
	# Idle: the server gives back what it does not use after two idle
	# looks 5 s apart (cmd/ordertwin/idle.go), and again after a snapshot
	# taken once the inputs stopped (every 50,000 inputs or a minute: it
	# may come seconds after the quiet above). The CPU is read then too,
	# that snapshot's included.
	sleep 21
	c1=$(cpu $pid)
	echo "  serve: cpu ${c1}s (with its snapshot helpers $(cpuall $pid)s) idle-rss $(rss $pid)MB store $(du -m "$DIR/s.db" | cut -f1)MB"
	kill -INT $pid
	wait $pid || true
	t0=$(now)
	"$BIN" serve "$SCEN" --db "$DIR/s.db" --addr "127.0.0.1:$PORT" --scale "$SCALE" --retention "$RET" ${SERVE_FLAGS:-} >"$DIR/serve.out" 2>>"$DIR/serve.log" &
	pid=$!
	ready
	t1=$(now)
	echo "  restart: ready $(echo "$t1 - $t0" | bc -l | cut -c1-5)s rss $(rss $pid)MB"
	kill -INT $pid
	wait $pid || true
	/usr/bin/time -f '  run --db: cpu %U+%S s, max rss %M KB, wall %e s' "$BIN" run "$SCEN" --db "$DIR/r.db" >/dev/null 2>"$DIR/run.err" || { cat "$DIR/run.err" >&2; exit 1; }
	tail -1 "$DIR/run.err"
done
