#!/usr/bin/env bash
# perf.sh: measure rlbench against redis-benchmark on one local redis-server.
#
# In one run it builds rlbench, starts one redis-server on a free loopback
# port (rlbench local-redis), loads the fixed-window script exactly as rlbench sends it, and runs
# redis-benchmark and rlbench on that EVALSHA with one hot key at concurrency
# 1 and 50. It prints both tools' requests/s and p50, the ratios against the
# goals of issue 3, and rlbench's peak memory (max RSS) for 1e5 and 1e6
# requests. A missed goal is reported, never an error: this is a benchmark,
# not a test. It exits non-zero only when something fails to run (2 when
# redis-server or its tools are missing).
#
# Environment: PERF_REQUESTS (default 100000) requests per throughput and
# latency run.
set -euo pipefail

cd "$(dirname "$0")/.."

N="${PERF_REQUESTS:-100000}"
LIMIT=1000000000  # so high that every request is admitted and writes
WINDOW_US=1000000 # 1 s
KEY='bench'

for tool in redis-server redis-cli redis-benchmark; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "perf: $tool not found; install it with: apt-get install redis-server" >&2
		exit 2
	fi
done

tmp="$(mktemp -d)"
redis_pid=''
trap '[[ -n "$redis_pid" ]] && { kill "$redis_pid" 2>/dev/null; wait "$redis_pid" || true; }; rm -rf "$tmp"' EXIT

echo "perf: building rlbench" >&2
go build -o "$tmp/rlbench" ./cmd/rlbench

# One throwaway redis-server from rlbench's own launcher (the one behind
# --redis local and the tests): its URL lands in a file once it answers,
# and the trap stops it (SIGTERM) and waits until it is gone.
"$tmp/rlbench" local-redis --url-file "$tmp/redis.url" >/dev/null &
redis_pid=$!
until [[ -s "$tmp/redis.url" ]]; do
	kill -0 "$redis_pid" 2>/dev/null || { echo "perf: rlbench local-redis did not start" >&2; exit 1; }
	sleep 0.1
done
url="$(cat "$tmp/redis.url")"
port="${url##*:}" # redis://127.0.0.1:PORT/0
port="${port%%/*}"
redis=(redis-cli -p "$port")

# The script exactly as rlbench runs it: clock.lua's text then fixed.lua's
# (algorithms/script.go newScript). Through a file and redis-cli -x, because
# "$(cat ...)" would drop the final newline and give another SHA.
cat algorithms/lua/clock.lua algorithms/lua/fixed.lua >"$tmp/fixed.lua"
sha="$(sha1sum "$tmp/fixed.lua" | cut -c1-40)"

# Proof that it is rlbench's script: with no script cached, one rlbench
# decision must leave exactly this SHA behind.
"${redis[@]}" script flush >/dev/null
"$tmp/rlbench" --redis "$url" --format csv -q run --algo fixed --workload closed \
	--concurrency 1 --requests 1 --limit "$LIMIT" --window 1s --key "$KEY" >/dev/null
if [[ "$("${redis[@]}" script exists "$sha")" != 1 ]]; then
	echo "perf: rlbench did not load script $sha: is algorithms/lua out of step with algorithms/script.go?" >&2
	exit 1
fi
loaded="$("${redis[@]}" -x script load <"$tmp/fixed.lua")"
if [[ "$loaded" != "$sha" ]]; then
	echo "perf: SCRIPT LOAD gave $loaded, want $sha" >&2
	exit 1
fi

# ARGV: '' = the server clock (redis-benchmark passes it through as an empty
# bulk string, checked with MONITOR), the limit, the window in µs, cost 1.
rb_key='rl:{bench}:fixed'
rb_args=(EVALSHA "$sha" 1 "$rb_key" '' "$LIMIT" "$WINDOW_US" 1)
reply="$("${redis[@]}" "${rb_args[@]}" | head -1)"
if [[ "$reply" != 1 ]]; then
	echo "perf: EVALSHA did not admit (reply starts with '$reply')" >&2
	exit 1
fi

# redis-benchmark -c C: prints "rps p50_us". Its --csv columns (7.0) are
# test,rps,avg_latency_ms,min_latency_ms,p50_latency_ms,...; the test name
# holds no comma, so the fields are split on '","'.
redis_benchmark() {
	local c="$1" out
	out="$(redis-benchmark -h 127.0.0.1 -p "$port" -c "$c" -n "$N" --csv "${rb_args[@]}")"
	awk -F'","' '
		NR == 1 { for (i = 1; i <= NF; i++) { gsub(/"/, "", $i); col[$i] = i }; next }
		{ gsub(/^"|"$/, ""); printf "%.0f %.1f\n", $col["rps"], $col["p50_latency_ms"] * 1000 }
	' <<<"$out"
}

# rlbench -c C -n REQUESTS: prints "decisions/s p50_us", columns found by name.
rlbench_run() {
	local c="$1" n="$2"
	"$tmp/rlbench" --redis "$url" --format csv -q run --algo fixed --workload closed \
		--concurrency "$c" --requests "$n" --limit "$LIMIT" --window 1s --key "$KEY" |
		awk -F, '
			NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
			$1 == "fixed" { printf "%.0f %.1f\n", $col["achieved_per_s"], $col["response_p50_us"] }
		'
}

declare -A rps p50
for c in 1 50; do
	echo "perf: concurrency $c, $N requests: redis-benchmark" >&2
	read -r rps[rb$c] p50[rb$c] < <(redis_benchmark "$c")
	echo "perf: concurrency $c, $N requests: rlbench" >&2
	read -r rps[rl$c] p50[rl$c] < <(rlbench_run "$c" "$N")
done
for v in "${rps[@]}" "${p50[@]}"; do
	[[ -n "$v" ]] || { echo "perf: a run printed no figures" >&2; exit 1; }
done

verdict() { # value op goal
	awk -v v="$1" -v g="$3" -v op="$2" 'BEGIN {
		ok = (op == ">=") ? (v >= g) : (v <= g)
		printf "%.2f (goal %s %s: %s)\n", v, op, g, ok ? "met" : "NOT met"
	}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { print (b > 0) ? a / b : 0 }'; }

echo
echo "Fixed-window EVALSHA ($sha), one hot key, $N requests per run,"
echo "limit $LIMIT per 1 s window (every request admitted), server clock."
echo "Keys: redis-benchmark $rb_key; rlbench rl:{$KEY:fixed:<run id>}:fixed (one hot key each)."
echo
printf '%-16s %12s %12s %12s %12s\n' tool 'c=1 req/s' 'c=1 p50 µs' 'c=50 req/s' 'c=50 p50 µs'
printf '%-16s %12s %12s %12s %12s\n' redis-benchmark "${rps[rb1]}" "${p50[rb1]}" "${rps[rb50]}" "${p50[rb50]}"
printf '%-16s %12s %12s %12s %12s\n' rlbench "${rps[rl1]}" "${p50[rl1]}" "${rps[rl50]}" "${p50[rl50]}"
echo
echo "rlbench/redis-benchmark decisions/s at c=50: $(verdict "$(ratio "${rps[rl50]}" "${rps[rb50]}")" '>=' 0.9)"
echo "rlbench/redis-benchmark p50 at c=1:          $(verdict "$(ratio "${p50[rl1]}" "${p50[rb1]}")" '<=' 1.3)"

# Peak memory. Window 1 s on purpose: rlbench's accuracy tracker keeps one
# window of admissions per key, so its memory follows admissions per window,
# not requests sent; with a 1 s window 1e5 and 1e6 requests hold the same
# state, and any growth left is memory that grows with the request count.
echo
timebin=/usr/bin/time
if [[ ! -x "$timebin" ]] && [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
	echo "perf: installing GNU time (apt-get install time)" >&2
	apt-get install -y -qq time >/dev/null 2>&1 || true
fi
if [[ ! -x "$timebin" ]]; then
	echo "Peak memory: skipped, GNU time (/usr/bin/time, Debian package 'time') is missing."
	exit 0
fi
declare -A rss_kib
for n in 100000 1000000; do
	echo "perf: peak memory, concurrency 50, $n requests" >&2
	"$timebin" -f %M -o "$tmp/rss" "$tmp/rlbench" --redis "$url" --format csv -q run \
		--algo fixed --workload closed --concurrency 50 --requests "$n" \
		--limit "$LIMIT" --window 1s --key "$KEY" >/dev/null
	rss_kib[$n]="$(tail -1 "$tmp/rss")"
done
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
echo "rlbench peak RSS at c=50, window 1s: 1e5 requests $(mib "${rss_kib[100000]}") MiB," \
	"1e6 requests $(mib "${rss_kib[1000000]}") MiB"
echo "ratio 1e6/1e5: $(awk -v a="${rss_kib[1000000]}" -v b="${rss_kib[100000]}" 'BEGIN {
	r = a / b; printf "%.2f (goal: the same, about 1: %s)", r, (r <= 1.25) ? "met" : "NOT met" }')"
