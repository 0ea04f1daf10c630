package bench

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/internal/redisconn"
	"github.com/rlbench/rlbench/report"
)

// costMeter measures what each run costs the Redis it runs on: INFO just
// before and just after the run, then a census of the run's keys.
type costMeter struct {
	target *redisconn.Target
	opts   algorithms.Options
	load   *Load
}

// costTimeout bounds the measuring after a run, which goes on after an
// interrupt so that a partial run still says what it cost.
const costTimeout = 30 * time.Second

// noCostOnMiniredis is why a run on the embedded server has no cost.
const noCostOnMiniredis = "not measured on the embedded miniredis, which has no INFO commandstats, INFO cpu or MEMORY USAGE; run against a redis-server (--redis URL) to measure"

// noCostWithFaults is why a run with faults has no cost: a restart resets
// the server's counters, and healing after the faults (SCRIPT LOAD again)
// sends commands of its own.
const noCostWithFaults = "not measured: faults were injected during the run, and a restart resets the server's counters"

// start snapshots the server before run r, whose user keys all start with
// key, and returns what fills in its cost after it.
func (m *costMeter) start(ctx context.Context, r Run, key string) (finish func(context.Context, *report.Run)) {
	before, err := m.target.Stats(ctx)
	if err != nil {
		return func(_ context.Context, run *report.Run) { run.RedisCostUnavailable = m.unavailable(err) }
	}
	return func(ctx context.Context, run *report.Run) {
		if len(run.Events) > 0 {
			run.RedisCostUnavailable = noCostWithFaults
			return
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), costTimeout)
		defer cancel()
		after, err := m.target.Stats(ctx)
		if err != nil {
			run.RedisCostUnavailable = m.unavailable(err)
			return
		}
		cost := redisCost(after.Sub(before), run.Counts.Sent)
		longest := m.longestTTL(r)
		cost.LongestTTLUS = longest.Microseconds()
		census, err := m.target.Census(ctx, "*"+redisconn.GlobEscape(key)+"*", ofRun(key), longest, report.MaxMemoryUsageSample)
		if err != nil {
			run.RedisCostUnavailable = m.unavailable(err)
			return
		}
		cost.Keys, cost.KeysWithoutTTL, cost.KeysPastTTL = census.Keys, census.WithoutTTL, census.PastTTL
		cost.MemoryUsageSampled = census.Sampled
		cost.MemoryUsagePerKey = ratio(census.SampledBytes, census.Sampled)
		cost.Members = census.Members
		cost.MemoryPerMember = ratio(census.MemberKeyBytes, census.Members)
		run.RedisCost = cost
	}
}

// longestTTL is the longest TTL r's algorithm sets for any key of the run:
// for its limit, or the longest of the tiers' limits; 0 for one that
// writes no keys.
func (m *costMeter) longestTTL(r Run) time.Duration {
	opts := m.opts
	if r.ClockSkew > 0 && opts.Clock != nil {
		opts.ClockSkewAllowance = skewPadding(opts.ClockSkewAllowance, r.ClockSkew) // as the run's limiters pad
	}
	longest, _ := algorithms.LongestTTL(r.Algorithm, r.Limit, opts)
	for _, t := range m.load.Tiers {
		if ttl, _ := algorithms.LongestTTL(r.Algorithm, t.Limit, opts); ttl > longest {
			longest = ttl
		}
	}
	return longest
}

// ofRun accepts the Redis keys of the run whose user keys start with key:
// those in which key is followed by the end, a ":" (a key's number, a
// window's index) or the "}" that closes a hash tag, so that run 1's key
// never takes run 10's.
func ofRun(key string) func(string) bool {
	return func(k string) bool {
		for rest := k; ; {
			i := strings.Index(rest, key)
			if i < 0 {
				return false
			}
			rest = rest[i+len(key):]
			if rest == "" || rest[0] == ':' || rest[0] == '}' {
				return true
			}
		}
	}
}

// setupCommands are counted by INFO but are no decision's: the
// measurement's own INFO, connection setup, a Cluster client's topology
// refreshes, the acknowledgements of a master's replicas.
var setupCommands = []string{"info", "hello", "auth", "client", "select", "cluster", "readonly", "command", "replconf", "psync", "sync"}

// scriptCalls are the commands that run a script or function.
var scriptCalls = []string{"eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro"}

// redisCost is the cost that the server's statistics over a run of sent
// decisions show.
func redisCost(d redisconn.Stats, sent int64) *report.RedisCost {
	c := &report.RedisCost{
		Masters:         d.Masters,
		CommandsByName:  map[string]int64{},
		CPUUS:           d.CPUMicros,
		UsedMemoryDelta: d.UsedMemory,
		KeysDelta:       d.Keys,
	}
	for name, n := range d.Calls {
		base, _, _ := strings.Cut(name, "|")
		if n <= 0 || slices.Contains(setupCommands, base) {
			continue
		}
		c.CommandsByName[name] = n
		c.Commands += n
		if slices.Contains(scriptCalls, base) {
			c.ScriptCalls += n
		}
	}
	if c.ScriptCalls > 0 {
		c.ScriptCommands = c.Commands - c.ScriptCalls
	}
	c.CommandsPerDecision = ratio(c.Commands-c.ScriptCommands, sent)
	c.ScriptCommandsPerDecision = ratio(c.ScriptCommands, sent)
	c.CPUUSPerDecision = ratio(c.CPUUS, sent)
	if c.KeysDelta > 0 && c.UsedMemoryDelta > 0 {
		c.MemoryPerKey = ratio(c.UsedMemoryDelta, c.KeysDelta)
	}
	return c
}

// ratio is a/b, 0 when b is 0.
func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// unavailable says why a run's cost is missing.
func (m *costMeter) unavailable(err error) string {
	if m.target.Kind == redisconn.KindMiniredis {
		return noCostOnMiniredis
	}
	return "not measured: " + err.Error()
}
