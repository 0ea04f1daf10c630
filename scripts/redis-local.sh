# shellcheck shell=bash
# redis-local.sh: sourced by the scripts that need a throwaway redis-server.
#
# start_redis DIR NAME starts one redis-server on a free 127.0.0.1 port, its
# pidfile and log in DIR, and sets $port and $url; stop_redis DIR stops it and
# waits until it is gone. --daemonize returns before the server binds, so the
# port is ours only when a PING answers and the answering server's process_id
# is the one in our pidfile (not someone else's Redis).

start_redis() {
	local dir="$1" name="$2" p pid served base
	port=''
	base=$((20000 + RANDOM % 20000))
	for ((p = base; p < base + 20; p++)); do
		rm -f "$dir/redis.pid"
		redis-server --port "$p" --bind 127.0.0.1 --save '' --appendonly no \
			--daemonize yes --pidfile "$dir/redis.pid" --dir "$dir" \
			--logfile "$dir/redis.log" >/dev/null 2>&1 || continue
		for _ in $(seq 1 50); do
			if [[ -s "$dir/redis.pid" ]] && redis-cli -p "$p" ping >/dev/null 2>&1; then
				break
			fi
			sleep 0.1
		done
		pid="$(cat "$dir/redis.pid" 2>/dev/null || true)"
		# A port someone else holds leaves no server of ours to answer: that
		# must mean "try the next port", not a failed pipeline under set -e.
		served="$(redis-cli -p "$p" info server 2>/dev/null | tr -d '\r' | sed -n 's/^process_id://p' || true)"
		if [[ -n "$pid" && "$pid" == "$served" ]]; then
			port="$p"
			break
		fi
		[[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true
	done
	if [[ -z "$port" ]]; then
		echo "$name: could not start redis-server on a free port from $base to $((base + 19))" >&2
		[[ -f "$dir/redis.log" ]] && tail -5 "$dir/redis.log" >&2
		return 1
	fi
	url="redis://127.0.0.1:$port/0"
	echo "$name: redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') on 127.0.0.1:$port" >&2
}

stop_redis() {
	local dir="$1" pid
	pid="$(cat "$dir/redis.pid" 2>/dev/null || true)"
	if [[ -n "$pid" ]] && kill "$pid" 2>/dev/null; then
		# Wait (up to 5 s) for it to be gone, so nothing outlives the script.
		for _ in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
	fi
}
