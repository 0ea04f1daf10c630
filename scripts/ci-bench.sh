#!/usr/bin/env bash
# ci-bench.sh: a short rlbench bench on a throwaway redis-server, compared
# with the committed baseline on the figures that must not move whatever the
# machine: no atomic algorithm admits above its bound, and no request fails.
# Latency is never compared here: CI machines are shared and noisy.
#
#   scripts/ci-bench.sh            run and compare (exit 1 when a check fails)
#   scripts/ci-bench.sh --update   run and write the baseline instead
set -euo pipefail

cd "$(dirname "$0")/.."
baseline=results/ci-baseline
tmp="$(mktemp -d)"
redis_pid=''
trap '[[ -n "$redis_pid" ]] && { kill "$redis_pid" 2>/dev/null; wait "$redis_pid" || true; }; rm -rf "$tmp"' EXIT

go build -o "$tmp/rlbench" ./cmd/rlbench
# One throwaway redis-server from rlbench's own launcher (the one behind
# --redis local and the tests): its URL lands in a file once it answers,
# and the trap stops it (SIGTERM) and waits until it is gone.
"$tmp/rlbench" local-redis --url-file "$tmp/redis.url" >/dev/null &
redis_pid=$!
until [[ -s "$tmp/redis.url" ]]; do
	kill -0 "$redis_pid" 2>/dev/null || { echo "ci-bench: rlbench local-redis did not start" >&2; exit 1; }
	sleep 0.1
done
url="$(cat "$tmp/redis.url")"

# Every atomic algorithm under the window-edge and steady workloads, a
# second or two each: limit 20 per second, bursts of 20 either side of each
# boundary, 500 requests a second otherwise.
out="$tmp/bench"
[[ "${1:-}" == "--update" ]] && out="$baseline"
"$tmp/rlbench" --redis "$url" --seed 1 -q bench --algo all --workload window-edge,steady \
	--limit 20 --window 1s --rate 500 --requests 1000 --duration 2s -o "$out"

if [[ "${1:-}" == "--update" ]]; then
	echo "ci-bench: wrote $baseline" >&2
	exit 0
fi
"$tmp/rlbench" compare "$baseline/results.json" "$out/results.json" \
	--threshold 'over_admitted==0' --threshold 'errors==0'
