#!/usr/bin/env bash
# perf.sh (make perf): every performance goal of rlbench in one run, as one
# table: goal, measured value, target, verdict.
#
# It builds rlbench and scripts/perf/_libpath (in a throwaway Go module that
# fetches go-redis/redis_rate v10 through the module proxy), starts one
# redis-server on a free loopback port (rlbench local-redis), and then, in
# PERF_REPS repetitions, runs every measurement once per repetition, the
# tools compared side by side and in alternating order, so that a change
# of load on the machine hits both sides of a ratio alike. Each row is the
# median over the repetitions (of the per-repetition ratio, for a ratio).
# The raw values of every repetition and the exact commands follow the
# table.
#
# A missed goal is reported, never an error: this is a benchmark, not a
# test. It exits 1 only when something fails to run, and 2 when a tool is
# missing (naming its Debian package) or a setting is bad.
#
# Environment:
#   PERF_REPS      repetitions (default 5)
#   PERF_REQUESTS  requests per closed-model run at 50 workers (default
#                  100000); one-worker runs send a fifth of it, pipelined
#                  runs and the larger memory run ten times it
#   PERF_PIPELINES the batch sizes of the pipelined rows (default "16 64")
#   PERF_OUT       a directory to write perf.md (what is printed) and
#                  raw.tsv (one line per measured value: name, unit, one
#                  column per repetition) into
set -euo pipefail
export LC_ALL=C.UTF-8 # ${#s} counts characters (÷, µ) when padding the table

OUT="${PERF_OUT:+$(realpath -m "$PERF_OUT")}" # before the cd: relative to the caller
cd "$(dirname "$0")/.."
repo="$(pwd)"

positive() { # NAME VALUE
	if ! [[ "$2" =~ ^[1-9][0-9]*$ ]]; then
		echo "perf: $1=$2: want a whole number of at least 1" >&2
		exit 2
	fi
}
REPS="${PERF_REPS:-5}"
N="${PERF_REQUESTS:-100000}"
positive PERF_REPS "$REPS"
positive PERF_REQUESTS "$N"
N1=$((N / 5 > 1000 ? N / 5 : 1000)) # one worker: about as long as 50 workers' N
NBIG=$((N * 10))                    # pipelined runs, and the larger memory run
read -r -a PIPES <<<"${PERF_PIPELINES:-16 64}"
for p in "${PIPES[@]}"; do positive PERF_PIPELINES "$p"; done
OPEN_RATES=(2000 20000)
OPEN_SECONDS=3
KEYS_BIG=100000000
KEYS_SMALL=10000
KEYS_REQUESTS=10000
LIMIT=1000000000  # so high that every request is admitted and writes
WINDOW_US=1000000 # 1 s
LIB_RATE=1000000  # the library path's limit per second, and its burst

need() { # TOOL PACKAGE
	if ! command -v "$1" >/dev/null 2>&1; then
		echo "perf: $1 not found; install it with: apt-get install $2" >&2
		exit 2
	fi
}
need go golang-go
need redis-server redis-server
need redis-cli redis-tools
need redis-benchmark redis-tools
need taskset util-linux
need jq jq
need /usr/bin/time time # GNU time: user, system and peak RSS of each run

tmp="$(mktemp -d)"
redis_pid=''
cleanup() {
	if [[ -n "$redis_pid" ]]; then
		kill "$redis_pid" 2>/dev/null || true
		wait "$redis_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "perf: building rlbench" >&2
go build -o "$tmp/rlbench" ./cmd/rlbench
rl="$tmp/rlbench"

# The library-path program in a module of its own: redis_rate is no
# dependency of rlbench, so it is fetched here and never vendored.
echo "perf: building scripts/perf/_libpath with go-redis/redis_rate v10.0.1" >&2
mkdir "$tmp/libpath"
cp scripts/perf/_libpath/*.go go.sum "$tmp/libpath/"
if ! (
	cd "$tmp/libpath"
	export GOWORK=off
	go mod init perflibpath &&
		go mod edit -require=github.com/rlbench/rlbench@v0.0.0 -replace=github.com/rlbench/rlbench="$repo" &&
		go get github.com/go-redis/redis_rate/v10@v10.0.1 &&
		go mod tidy &&
		go build -o "$tmp/libpath-bin" .
) >"$tmp/libpath.log" 2>&1; then
	echo "perf: building scripts/perf/_libpath failed:" >&2
	tail -20 "$tmp/libpath.log" >&2
	exit 1
fi
lib="$tmp/libpath-bin"

# One throwaway redis-server from rlbench's own launcher (the one behind
# --redis local and the tests): its URL lands in a file once it answers,
# and the trap stops it (SIGTERM) and waits until it is gone.
"$rl" local-redis --url-file "$tmp/redis.url" >/dev/null &
redis_pid=$!
until [[ -s "$tmp/redis.url" ]]; do
	kill -0 "$redis_pid" 2>/dev/null || {
		echo "perf: rlbench local-redis did not start" >&2
		exit 1
	}
	sleep 0.1
done
url="$(cat "$tmp/redis.url")"
port="${url##*:}" # redis://127.0.0.1:PORT/0
port="${port%%/*}"
redis=(redis-cli -p "$port")
server_pid="$("${redis[@]}" info server | tr -d '\r' | sed -n 's/^process_id://p')"
server_version="$("${redis[@]}" info server | tr -d '\r' | sed -n 's/^redis_version://p')"

# The script exactly as rlbench runs it: clock.lua's text then fixed.lua's
# (algorithms/script.go newScript). Through a file and redis-cli -x, because
# "$(cat ...)" would drop the final newline and give another SHA.
cat algorithms/lua/clock.lua algorithms/lua/fixed.lua >"$tmp/fixed.lua"
sha="$(sha1sum "$tmp/fixed.lua" | cut -c1-40)"

# Proof that it is rlbench's script: with no script cached, one rlbench
# decision must leave exactly this SHA behind.
"${redis[@]}" script flush >/dev/null
"$rl" --redis "$url" --format csv -q run --algo fixed --workload closed \
	--concurrency 1 --requests 1 --limit "$LIMIT" --window 1s --key perf >/dev/null
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
rb_key='rl:{perf}:fixed'
rb_args=(EVALSHA "$sha" 1 "$rb_key" '' "$LIMIT" "$WINDOW_US" 1)
reply="$("${redis[@]}" "${rb_args[@]}" | head -1)"
if [[ "$reply" != 1 ]]; then
	echo "perf: EVALSHA did not admit (reply starts with '$reply')" >&2
	exit 1
fi

# Flags being added to rlbench: their rows say n/a until then.
run_help="$("$rl" run --help)"
has_pipeline=false
has_rueidis=false
grep -Eq -- '^ +--pipeline[ =]' <<<"$run_help" && has_pipeline=true
grep -Eq -- '^ +--client[ =]' <<<"$run_help" && has_rueidis=true

# Pinned runs: the client on the last CPU, redis-server on the first.
cpus="$(nproc)"
client_cpu=$((cpus - 1))
server_affinity="$(taskset -c -p "$server_pid" | sed 's/.*: //')"

# Raw values: raw[NAME] holds one value per repetition; unit[NAME] says
# what it is. Commands are noted once, as run, with the temp dir cut.
declare -A raw unit
names=()
commands=()
record() { # NAME UNIT VALUE
	if ! [[ "$3" =~ ^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$ || "$3" == failed ]]; then
		echo "perf: $1 (repetition $rep) is '$3', not a number: did a field move?" >&2
		exit 1
	fi
	if [[ -z "${unit[$1]+x}" ]]; then
		names+=("$1")
		unit[$1]="$2"
		raw[$1]=''
	fi
	raw[$1]+="$3 "
}
rep=0
note() { # LABEL CMD...: the exact command, once
	local label="$1"
	shift
	if ((rep == 1)); then
		commands+=("# $label"$'\n'"$(printf '%q ' "$@" | sed "s|$tmp/||g; s|libpath-bin|libpath|g; s| \$||")")
	fi
}

# timed STEP CMD...: runs CMD under GNU time, its stdout into $tmp/out;
# sets cpu_s (user + system seconds) and rss_kib (peak RSS). A failure
# ends perf.sh with status 1, naming the step and showing its stderr.
timed() {
	local step="$1"
	shift
	note "$step" "$@"
	if ! /usr/bin/time -f '%U %S %M' -o "$tmp/time" "$@" >"$tmp/out" 2>"$tmp/err"; then
		echo "perf: $step failed (repetition $rep): $(printf '%q ' "$@")" >&2
		tail -5 "$tmp/err" >&2
		exit 1
	fi
	local u s
	read -r u s rss_kib < <(tail -1 "$tmp/time")
	cpu_s="$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')"
}

# redis-benchmark's --csv (7.0): test,rps,avg_latency_ms,min_latency_ms,
# p50_latency_ms,...; the test name holds no comma, so the fields are
# split on '","'. Sets rps and p50 (µs).
rb_parse() {
	read -r rps p50 < <(awk -F'","' '
		NR == 1 { for (i = 1; i <= NF; i++) { gsub(/"/, "", $i); col[$i] = i }; next }
		{ gsub(/^"|"$/, ""); printf "%.0f %.1f\n", $col["rps"], $col["p50_latency_ms"] * 1000 }
	' "$tmp/out")
	[[ -n "$rps" && -n "$p50" ]] || {
		echo "perf: redis-benchmark printed no figures" >&2
		exit 1
	}
}

# rlbench's csv, columns found by name. Sets rps, p50 (µs) and sent.
rl_parse() {
	read -r rps p50 sent < <(awk -F, '
		NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		NR == 2 { printf "%.0f %.1f %d\n", $col["achieved_per_s"], $col["response_p50_us"], $col["sent"] }
	' "$tmp/out")
	[[ -n "$rps" && -n "$p50" && -n "$sent" ]] || {
		echo "perf: rlbench printed no figures" >&2
		exit 1
	}
}

# rb STEP CLIENTS REQUESTS [EXTRA...]: redis-benchmark on the EVALSHA.
# PIN (an array) prefixes the command.
pin=()
rb() {
	local step="$1" c="$2" n="$3"
	shift 3
	timed "$step" "${pin[@]}" redis-benchmark -h 127.0.0.1 -p "$port" -c "$c" -n "$n" "$@" --csv "${rb_args[@]}"
	rb_parse
}

# rlb STEP WORKERS REQUESTS [EXTRA...]: rlbench's closed model on the
# same script, fresh keys each run.
rlb() {
	local step="$1" c="$2" n="$3"
	shift 3
	timed "$step" "${pin[@]}" "$rl" --redis "$url" --format csv -q run --algo fixed --workload closed \
		--concurrency "$c" --requests "$n" --limit "$LIMIT" --window 1s --key perf "$@"
	rl_parse
}

per_decision_us() { awk -v s="$1" -v n="$2" 'BEGIN { printf "%.2f", s * 1e6 / n }'; }

# The measurements of one repetition, each a function; interleave runs
# them in the order given on odd repetitions and reversed on even ones.
interleave() {
	local steps=("$@") i
	if ((rep % 2 == 0)); then
		for ((i = ${#steps[@]} - 1; i >= 0; i--)); do "${steps[i]}"; done
	else
		for i in "${steps[@]}"; do "$i"; done
	fi
}

rb_c50() {
	rb "redis-benchmark, 50 clients" 50 "$N"
	record rb_c50_rps /s "$rps"
	record rb_c50_cpu_us µs/decision "$(per_decision_us "$cpu_s" "$N")"
}
rl_c50() {
	rlb "rlbench, 50 workers (also peak RSS at PERF_REQUESTS)" 50 "$N"
	record rl_c50_rps /s "$rps"
	record rl_c50_cpu_us µs/decision "$(per_decision_us "$cpu_s" "$sent")"
	record rl_rss_small KiB "$rss_kib"
}
# The floor of a Go client: the same EVALSHA written and read by hand on
# net.Conns, one goroutine per connection (libpath -mode bare), no client
# library; it prints the p50 round trip and decisions/s.
bare() { # STEP GOROUTINES REQUESTS
	timed "$1" "${pin[@]}" "$lib" -addr "127.0.0.1:$port" \
		-mode bare -c "$2" -n "$3" -sha "$sha" -key "$rb_key" -rate "$LIMIT"
	read -r p50 rps <"$tmp/out"
}
bare_c50() {
	bare "a bare Go loop, 50 goroutines on 50 connections (libpath -mode bare)" 50 "$N"
	record bare_c50_rps /s "$rps"
	record bare_c50_cpu_us µs/decision "$(per_decision_us "$cpu_s" "$N")"
}
rb_c1() {
	rb "redis-benchmark, 1 client" 1 "$N1"
	record "rb_c1_p50$pinned" µs "$p50"
}
rl_c1() {
	rlb "rlbench, 1 worker" 1 "$N1"
	record "rl_c1_p50$pinned" µs "$p50"
}
bare_c1() {
	bare "a bare Go loop, 1 connection (libpath -mode bare)" 1 "$N1"
	record "bare_c1_p50$pinned" µs "$p50"
}
pinned=''
one_worker_pinned() {
	taskset -a -c -p 0 "$server_pid" >/dev/null
	pin=(taskset -c "$client_cpu")
	pinned=_pinned
	interleave rb_c1 rl_c1 bare_c1
	pin=()
	pinned=''
	taskset -a -c -p "$server_affinity" "$server_pid" >/dev/null
}
one_worker() { interleave rb_c1 rl_c1 rueidis_c1 bare_c1; }

# The second driver, beside go-redis's runs of the same repetition.
rueidis_c50() {
	$has_rueidis || return 0
	rlb "rlbench --client rueidis, 50 workers" 50 "$N" --client rueidis
	record rueidis_c50_rps /s "$rps"
	record rueidis_c50_cpu_us µs/decision "$(per_decision_us "$cpu_s" "$sent")"
}
rueidis_c1() {
	$has_rueidis || return 0
	rlb "rlbench --client rueidis, 1 worker" 1 "$N1" --client rueidis
	record rueidis_c1_p50 µs "$p50"
}

rb_pipe() {
	rb "redis-benchmark -P $PIPE, 50 clients" 50 "$NBIG" -P "$PIPE"
	record "rb_pipe${PIPE}_rps" /s "$rps"
}
# A batch's round trip waits for its N decisions behind 49 other batches:
# on a loaded machine that passes rlbench's default 1 s timeout, which
# would end the run, while redis-benchmark waits for ever. 10 s still ends
# a hung run.
rl_pipe() {
	$has_pipeline || return 0
	rlb "rlbench --pipeline $PIPE, 50 workers" 50 "$NBIG" --pipeline "$PIPE" --timeout 10s
	record "rl_pipe${PIPE}_rps" /s "$rps"
}
pipelined() { for PIPE in "${PIPES[@]}"; do interleave rb_pipe rl_pipe; done; }

lp() { # MODE GOROUTINES REQUESTS
	timed "libpath -mode $1 -c $2" "$lib" -addr "127.0.0.1:$port" -mode "$1" -c "$2" -n "$3" \
		-key "perf:libpath:$1:$2:$rep" -rate "$LIB_RATE"
	record "lib_$1_c$2" /s "$(cat "$tmp/out")"
}
lib_gcra_1() { lp gcra 1 "$N1"; }
lib_rate_1() { lp redis_rate 1 "$N1"; }
lib_gcra_50() { lp gcra 50 "$N"; }
lib_rate_50() { lp redis_rate 50 "$N"; }
# The engine's overhead: the plain loop and workload.Run in one process,
# in five alternating pairs of blocks of PERF_REQUESTS/5 decisions each,
# so that the load of a shared machine, which drifts over seconds, hits
# both sides of each pair of blocks alike; wall time and the process's CPU
# time per block (libpath -mode paired).
engine_paired() {
	timed "libpath -mode paired -c 50 (plain loop and engine in alternating blocks)" "$lib" -addr "127.0.0.1:$port" \
		-mode paired -c 50 -n "$N" -block "$((N / 5 > 0 ? N / 5 : 1))" -key "perf:libpath:paired:$rep" -rate "$LIB_RATE"
	local plain engine ratio plain_cpu engine_cpu
	read -r plain engine ratio plain_cpu engine_cpu <"$tmp/out"
	record lib_paired_gcra_c50 /s "$plain"
	record lib_paired_engine_c50 /s "$engine"
	record lib_paired_ratio ÷ "$ratio" # per-pair plain ÷ engine decisions/s, median of the blocks
	record lib_paired_gcra_cpu_us µs/decision "$plain_cpu"
	record lib_paired_engine_cpu_us µs/decision "$engine_cpu"
}

# The machine itself: a thread that only reads the clock, alone, for as
# long as an open-model run, before the open-model runs of the repetition.
# Its gaps are time the machine took from a thread that never blocks, which
# no in-process generator's schedule can beat.
machine_hiccups() {
	timed "libpath -mode hiccup (a lone thread reading the clock)" "$lib" -mode hiccup -for "${OPEN_SECONDS}s"
	local gaps longest
	read -r gaps longest <"$tmp/out"
	record hiccup_gaps_over_100us count "$gaps"
	record hiccup_longest_gap µs "$longest"
}

open_model() {
	local r
	for r in "${OPEN_RATES[@]}"; do
		timed "rlbench open model at $r/s" "$rl" --redis "$url" --format csv -q run --algo baseline \
			--workload steady --rate "$r" --duration "${OPEN_SECONDS}s" -o "$tmp/open.json"
		record "open_${r}_p50_lag" µs "$(jq -r '.runs[0].generator.p50_lag_us' "$tmp/open.json")"
		record "open_${r}_p99_lag" µs "$(jq -r '.runs[0].generator.p99_lag_us' "$tmp/open.json")"
		record "open_${r}_service_p50" µs "$(jq -r '.runs[0].latency.service_us.p50' "$tmp/open.json")"
		record "open_${r}_cpu" s/s "$(awk -v c="$cpu_s" -v d="$OPEN_SECONDS" 'BEGIN { printf "%.3f", c / d }')"
	done
}

# Peak memory. Window 1 s on purpose: rlbench's accuracy tracker keeps one
# window of admissions per key, so its memory follows admissions per window,
# not requests sent; with a 1 s window PERF_REQUESTS and ten times it hold
# the same state, and any growth left is memory that grows with the request
# count. The smaller run is rl_c50's.
memory_big() {
	rlb "rlbench, 50 workers, ten times PERF_REQUESTS (peak RSS)" 50 "$NBIG"
	record rl_rss_big KiB "$rss_kib"
}
# Declared keys: the address space is capped at three quarters of the
# memory available, so that memory reserved per declared key fails the run
# instead of the machine; a failure is the row's value.
mem_cap_kib="$(awk '/^MemAvailable:/ { printf "%d", $2 * 3 / 4 }' /proc/meminfo)"
memory_keys() {
	local k
	for k in "$KEYS_BIG" "$KEYS_SMALL"; do
		local cmd=("$rl" --redis "$url" --format csv -q run --algo fixed --workload closed --concurrency 50
			--requests "$KEYS_REQUESTS" --keys "$k" --limit "$LIMIT" --window 1s --key perf)
		note "rlbench --keys $k, $KEYS_REQUESTS requests (peak RSS; address space capped at $mem_cap_kib KiB)" "${cmd[@]}"
		if (
			ulimit -v "$mem_cap_kib"
			exec /usr/bin/time -f '%M' -o "$tmp/time" "${cmd[@]}"
		) >/dev/null 2>"$tmp/err"; then
			record "rl_rss_keys_$k" KiB "$(tail -1 "$tmp/time")"
		else
			echo "perf: rlbench --keys $k failed under the ${mem_cap_kib} KiB cap: $(tail -1 "$tmp/err")" >&2
			record "rl_rss_keys_$k" KiB failed
		fi
	done
}
# Redis bytes per sliding-log member: one key whose log fills up to the
# limit, measured by bench's MEMORY USAGE census (bench/cost.go).
sliding_member() {
	timed "rlbench bench: Redis memory per sliding-log member" "$rl" --redis "$url" -q --format json bench \
		--algo sliding --workload closed --concurrency 8 --window 1h --limit 10000 --requests 15000 --duration 0
	record sliding_bytes_per_member B "$(jq -r '.runs[0].redis_cost.memory_per_member' "$tmp/out")"
}

load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
started="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
for ((rep = 1; rep <= REPS; rep++)); do
	echo "perf: repetition $rep of $REPS" >&2
	interleave rb_c50 rl_c50 rueidis_c50 bare_c50
	one_worker_pinned
	one_worker
	pipelined
	interleave lib_gcra_1 lib_rate_1
	interleave lib_gcra_50 lib_rate_50
	engine_paired
	machine_hiccups
	open_model
	memory_big
	memory_keys
	sliding_member
done
load_end="$(cut -d' ' -f1-3 /proc/loadavg)"

# Medians. values NAME prints the raw values one a line; a ratio's median is
# that of the per-repetition ratios, which drift of the load cancels in.
values() { tr ' ' '\n' <<<"${raw[$1]:-}" | sed '/^$/d'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit; print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
med() { values "$1" | median; }
ratios() { # A B: A/B per repetition, one a line
	paste <(values "$1") <(values "$2") | awk '$2 > 0 { print $1 / $2 }'
}
fmt() { awk -v v="$1" -v f="$2" 'BEGIN { printf f, v }'; }
ratio() { fmt "$(ratios "$1" "$2" | median)" %.2f; } # A B: the median ratio, printed
verdict() { # VALUE OP GOAL, OP one of ≥ ≤
	awk -v v="$1" -v op="$2" -v g="$3" 'BEGIN { print ((op == "≥") ? (v >= g) : (v <= g)) ? "met" : "NOT met" }'
}
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }

rows=()
row() { rows+=("$1"$'\t'"$2"$'\t'"$3"$'\t'"$4"); } # goal measured target verdict
ratio_row() { # GOAL A B OP TARGET FORMAT_OF_A_AND_B UNIT
	local r
	r="$(ratios "$2" "$3" | median)"
	row "$1" "$(fmt "$r" %.2f) ($(fmt "$(med "$2")" "$6") ÷ $(fmt "$(med "$3")" "$6") $7)" "$4 $5" "$(verdict "$r" "$4" "$5")"
}

ratio_row "closed model, 50 workers: decisions/s, rlbench ÷ redis-benchmark -c 50" \
	rl_c50_rps rb_c50_rps '≥' 1.0 %.0f /s
ratio_row "client CPU per decision at 50 workers, rlbench ÷ redis-benchmark" \
	rl_c50_cpu_us rb_c50_cpu_us '≤' 1.0 %.1f µs
row "closed model, 50: a bare Go loop (50 net.Conns, RESP by hand) ÷ redis-benchmark, decisions/s and CPU per decision; rlbench ÷ the bare loop, the same" \
	"$(ratio bare_c50_rps rb_c50_rps) and $(ratio bare_c50_cpu_us rb_c50_cpu_us) ($(fmt "$(med bare_c50_rps)" %.0f) /s, $(fmt "$(med bare_c50_cpu_us)" %.1f) µs); $(ratio rl_c50_rps bare_c50_rps) and $(ratio rl_c50_cpu_us bare_c50_cpu_us)" \
	'stated' —
if ((cpus > 1)); then
	where="client on CPU $client_cpu, redis-server on CPU 0"
else
	where="client and redis-server on the one CPU"
fi
ratio_row "one worker: p50, rlbench ÷ redis-benchmark -c 1, pinned ($where)" \
	rl_c1_p50_pinned rb_c1_p50_pinned '≤' 1.3 %.1f µs
ratio_row "one worker: p50, rlbench ÷ redis-benchmark -c 1, unpinned" \
	rl_c1_p50 rb_c1_p50 '≤' 1.3 %.1f µs
for p in _pinned ''; do
	how=unpinned
	[[ -n "$p" ]] && how=pinned
	row "one worker, $how: p50, a bare Go loop (one net.Conn, RESP by hand) ÷ redis-benchmark -c 1; rlbench ÷ the bare loop" \
		"$(ratio "bare_c1_p50$p" "rb_c1_p50$p") ($(fmt "$(med "bare_c1_p50$p")" %.1f) µs); $(ratio "rl_c1_p50$p" "bare_c1_p50$p")" 'stated' —
done
ratio_row "library, 1 goroutine: decisions/s, rlbench gcra (package algorithms) ÷ redis_rate v10" \
	lib_gcra_c1 lib_redis_rate_c1 '≥' 1.0 %.0f /s
ratio_row "library, 50 goroutines: decisions/s, rlbench gcra ÷ redis_rate v10" \
	lib_gcra_c50 lib_redis_rate_c50 '≥' 1.0 %.0f /s
overhead="$(values lib_paired_ratio | awk '{ print ($1 - 1) * 100 }' | median)"
row "engine overhead, 50 workers: a plain loop's decisions/s ÷ workload.Run's, minus 1 (alternating blocks in one process)" \
	"$(fmt "$overhead" %+.1f) % ($(fmt "$(med lib_paired_gcra_c50)" %.0f) vs $(fmt "$(med lib_paired_engine_c50)" %.0f) /s)" \
	'≤ 5 %' "$(verdict "$overhead" '≤' 5)"
cpu_overhead="$(ratios lib_paired_engine_cpu_us lib_paired_gcra_cpu_us | awk '{ print ($1 - 1) * 100 }' | median)"
row "engine CPU per decision, 50 workers: workload.Run's ÷ a plain loop's, minus 1 (whole process, same blocks)" \
	"$(fmt "$cpu_overhead" %+.1f) % ($(fmt "$(med lib_paired_engine_cpu_us)" %.1f) vs $(fmt "$(med lib_paired_gcra_cpu_us)" %.1f) µs)" \
	'stated' —
for PIPE in "${PIPES[@]}"; do
	if $has_pipeline; then
		ratio_row "pipelined: decisions/s, rlbench --pipeline $PIPE ÷ redis-benchmark -P $PIPE -c 50" \
			"rl_pipe${PIPE}_rps" "rb_pipe${PIPE}_rps" '≥' 0.9 %.0f /s
	else
		row "pipelined: decisions/s, rlbench --pipeline $PIPE ÷ redis-benchmark -P $PIPE -c 50" \
			"n/a (rlbench has no --pipeline; redis-benchmark $(fmt "$(med "rb_pipe${PIPE}_rps")" %.0f) /s)" '≥ 0.9' n/a
	fi
done
if $has_rueidis; then
	r="$(ratios rueidis_c50_rps rl_c50_rps | median)"
	row "--client rueidis ÷ go-redis: decisions/s at 50 workers" \
		"$(fmt "$r" %.2f) ($(fmt "$(med rueidis_c50_rps)" %.0f) ÷ $(fmt "$(med rl_c50_rps)" %.0f) /s)" 'compared, no goal' —
	r="$(ratios rueidis_c50_cpu_us rl_c50_cpu_us | median)"
	row "--client rueidis ÷ go-redis: client CPU per decision at 50 workers" \
		"$(fmt "$r" %.2f) ($(fmt "$(med rueidis_c50_cpu_us)" %.1f) ÷ $(fmt "$(med rl_c50_cpu_us)" %.1f) µs)" 'compared, no goal' —
	r="$(ratios rueidis_c1_p50 rl_c1_p50 | median)"
	row "--client rueidis ÷ go-redis: p50 at 1 worker, unpinned" \
		"$(fmt "$r" %.2f) ($(fmt "$(med rueidis_c1_p50)" %.1f) ÷ $(fmt "$(med rl_c1_p50)" %.1f) µs)" 'compared, no goal' —
else
	row "--client rueidis ÷ go-redis: decisions/s at 50 workers" 'n/a (rlbench has no --client)' 'compared, no goal' n/a
	row "--client rueidis ÷ go-redis: client CPU per decision at 50 workers" 'n/a (rlbench has no --client)' 'compared, no goal' n/a
	row "--client rueidis ÷ go-redis: p50 at 1 worker, unpinned" 'n/a (rlbench has no --client)' 'compared, no goal' n/a
fi
for r in "${OPEN_RATES[@]}"; do
	p50="$(med "open_${r}_p50_lag")"
	p99="$(med "open_${r}_p99_lag")"
	ok="$(awk -v a="$p50" -v b="$p99" 'BEGIN { print (a <= 50 && b <= 500) ? "met" : "NOT met" }')"
	row "open model at $r/s (baseline, steady, ${OPEN_SECONDS} s): schedule lag p50, p99" \
		"$(fmt "$p50" %.1f) µs, $(fmt "$p99" %.1f) µs; service time p50 $(fmt "$(med "open_${r}_service_p50")" %.1f) µs; rlbench CPU $(fmt "$(med "open_${r}_cpu")" %.2f) s per s of run" \
		'p50 ≤ 50 µs, p99 ≤ 500 µs' "$ok"
done
row "the machine: a lone thread reading the clock for ${OPEN_SECONDS} s (libpath -mode hiccup): gaps over 100 µs, longest gap" \
	"$(fmt "$(med hiccup_gaps_over_100us)" %.0f), $(fmt "$(med hiccup_longest_gap)" %.1f) µs" 'stated' —
ratio_row "peak RSS at 50 workers: $NBIG ÷ $N requests" rl_rss_big rl_rss_small '≤' 1.1 %.0f KiB
keys_value() { # NAME: median in MiB, or "failed" when any repetition failed
	if values "$1" | grep -q failed; then echo "failed (address space capped at $(mib "$mem_cap_kib"))"; else mib "$(med "$1")"; fi
}
row "peak RSS, --keys $KEYS_BIG, $KEYS_REQUESTS requests at 50 workers" \
	"$(keys_value "rl_rss_keys_$KEYS_BIG") (--keys $KEYS_SMALL: $(keys_value "rl_rss_keys_$KEYS_SMALL"))" 'stated' —
member="$(med sliding_bytes_per_member)"
row "Redis bytes per sliding-log member, limit 10,000 (bench redis_cost.memory_per_member)" \
	"$(fmt "$member" %.1f) B" '≤ 100 B' "$(verdict "$member" '≤' 100)"

# A Markdown table, padded to line up in a terminal.
print_table() { # HEADER... then rows from stdin, tab-separated
	local -a lines widths=() cells
	local line cell i w n=0
	lines=("$(
		IFS=$'\t'
		echo "$*"
	)")
	while IFS= read -r line; do lines+=("$line"); done
	for line in "${lines[@]}"; do
		IFS=$'\t' read -r -a cells <<<"$line"
		for i in "${!cells[@]}"; do
			w=${widths[i]:-3}
			if ((${#cells[i]} > w)); then w=${#cells[i]}; fi
			widths[i]=$w
		done
	done
	for line in "${lines[@]}"; do
		IFS=$'\t' read -r -a cells <<<"$line"
		printf '|'
		for i in "${!widths[@]}"; do
			cell="${cells[i]:-}"
			printf ' %s%*s |' "$cell" $((widths[i] - ${#cell})) ''
		done
		printf '\n'
		if ((n == 0)); then
			printf '|'
			for i in "${!widths[@]}"; do printf ' %s |' "$(printf '%*s' "${widths[i]}" '' | tr ' ' -)"; done
			printf '\n'
		fi
		n=$((n + 1))
	done
}

{
	echo "# make perf"
	echo
	echo "rlbench $(git describe --tags --always --dirty 2>/dev/null || echo '(no git)'), redis-server $server_version" \
		"on 127.0.0.1, $cpus CPUs, $started; load average at start $load_start, at end $load_end."
	echo "$REPS repetitions, interleaved (each repetition runs every measurement once, the sides of a" \
		"comparison in alternating order); a ratio is the median of the per-repetition ratios, and" \
		"the figures in brackets are the medians of each side."
	echo "Closed-model rows: the fixed-window EVALSHA $sha (rlbench's own script), one hot key," \
		"limit $LIMIT per 1 s so that every request is admitted and writes, $N requests at 50" \
		"workers and $N1 at one. Library rows: $N and $N1 decisions of GCRA, limit $LIB_RATE per" \
		"second with a burst of $LIB_RATE for both libraries (every request admitted), one hot key" \
		"(rlbench rl:{KEY}:gcra, redis_rate rate:KEY), one go-redis client with a connection per" \
		"goroutine, context.Background() in the plain loops, rlbench run's defaults in the engine" \
		"(a 1 s timeout per decision). CPU is user + system of the whole process (GNU time)."
	echo
	printf '%s\n' "${rows[@]}" | print_table goal measured target verdict
	echo
	echo "## Raw values, one column per repetition"
	echo
	for name in "${names[@]}"; do
		printf '%s\t%s\t%s\n' "$name" "${unit[$name]}" "$(values "$name" | paste -sd' ')"
	done | print_table value unit "repetitions 1 to $REPS"
	echo
	echo "## Commands (each under /usr/bin/time -f '%U %S %M'; rlbench and libpath built from this checkout)"
	echo
	echo '```'
	printf '%s\n' "${commands[@]}"
	echo '```'
} >"$tmp/perf.md"

cat "$tmp/perf.md"
if [[ -n "$OUT" ]]; then
	mkdir -p "$OUT"
	cp "$tmp/perf.md" "$OUT/perf.md"
	for name in "${names[@]}"; do
		printf '%s\t%s\t%s\n' "$name" "${unit[$name]}" "$(values "$name" | paste -sd'\t')"
	done >"$OUT/raw.tsv"
	echo "perf: wrote $OUT/perf.md and $OUT/raw.tsv" >&2
fi
