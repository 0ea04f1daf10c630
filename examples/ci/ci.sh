#!/usr/bin/env bash
# ci.sh: rlbench as a CI gate, for any CI system. The same steps as the
# GitHub Actions workflow beside it (rlbench.yml), less the upload:
#
#   1. a short bench on a redis-server that rlbench starts itself and stops
#      (--redis local: redis-server must be on PATH);
#   2. a compare with the committed baseline, on the figures that must not
#      move whatever the machine: no algorithm admits above its bound, and
#      no request fails. Latency is left out: CI machines are noisy.
#
# It writes into $OUT: results.json, report.md and report.html (the bench),
# junit.xml (a test case per threshold and run) and summary.md (Markdown;
# on GitHub Actions it goes to the job's summary instead). It exits 1 when
# a threshold fails, after writing all of them; upload them either way.
#
#   RLBENCH=path/to/rlbench  the binary (default: rlbench on PATH)
#   BASELINE=results.json    the baseline (default: results/ci-baseline/results.json)
#   OUT=dir                  where the reports go (default: rlbench-ci)
#
# The baseline must come from the same bench command: to make it anew, run
# step 1 with -o results/ci-baseline and commit that folder.
set -euo pipefail

rlbench="${RLBENCH:-rlbench}"
baseline="${BASELINE:-results/ci-baseline/results.json}"
out="${OUT:-rlbench-ci}"

# 1. Every atomic algorithm under the window-edge and steady workloads, a
# second or two each: limit 20 per second, bursts of 20 either side of each
# boundary, 500 requests a second otherwise.
"$rlbench" --redis local --seed 1 -q bench --algo all --workload window-edge,steady \
	--limit 20 --window 1s --rate 500 --requests 1000 --duration 2s -o "$out"

# 2. The gate. On GitHub Actions, rlbench appends the summary to
# $GITHUB_STEP_SUMMARY by itself.
summary=(--summary "$out/summary.md")
if [[ -n "${GITHUB_STEP_SUMMARY:-}" ]]; then
	summary=()
fi
"$rlbench" compare "$baseline" "$out/results.json" \
	--threshold 'over_admitted==0' --threshold 'errors==0' \
	--junit "$out/junit.xml" "${summary[@]}"
