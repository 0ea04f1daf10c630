package workload

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/target"
)

// ErrInvalidConfig is returned by Run, before anything is sent, for a Config
// that cannot describe a run; the message names the field and what it
// accepts.
var ErrInvalidConfig = errors.New("invalid workload")

// Config describes one run against one target.
//
// Without a Pacer it is the closed model: Concurrency workers send back to
// back, each waiting for its decision before the next. Config{Target:
// target.Limiter(l), Promise: l, Name: "sliding", Limit:
// algorithms.Limit{Requests: 100, Window: time.Minute}, Key: "user:1",
// Concurrency: 64, Requests: 640} is the seed's hot-key storm: 64 callers
// race for one key, and an atomic algorithm admits exactly 100.
//
// With a Pacer it is the open model: requests are due at the Pacer's
// instants whether or not earlier ones were answered, at most MaxInflight
// at a time, and latency counts from when each was due (wrk2's correction
// for coordinated omission).
type Config struct {
	// Target decides every request.
	Target target.Target
	// Name names what was run in the Result, such as "sliding".
	Name string
	// Promise is what the target is held to: the most it may admit in
	// any span. nil means no promise: admissions are counted, with no
	// bound and no verdict.
	Promise algorithms.Promise
	// Limit is what each request is checked against, unless its key's
	// tier has its own.
	Limit algorithms.Limit
	// Key is the user key; with more than one key, key k is Key:k.
	Key string
	// Keys chooses each request's key; nil means the one key Key.
	Keys Keys
	// Tiers give keys their own limits; TierOf maps a key to its tier.
	// Both nil means every key has Limit.
	Tiers  []Tier
	TierOf func(key int) int
	// Cost is the units each request asks for; 0 means 1.
	Cost int64
	// Replay, when set, is the schedule, keys and costs of the run, read
	// in order from a Stream (a trace or a generator): it stands for Pacer
	// and Keys, which must be nil, and each request's cost for Cost.
	Replay *Replay
	// Pacer schedules the open model; nil means the closed model.
	Pacer Pacer
	// Concurrency is the number of workers of the closed model.
	Concurrency int
	// Pipeline, above 1, makes each worker of the closed model send that
	// many requests in one round trip (a target.BatchTarget's DecideBatch),
	// as redis-benchmark -P does: each request is still one decision, but
	// latency is recorded once per batch. 0 and 1 send one at a time.
	Pipeline int
	// MaxInflight bounds the requests in flight in the open model; 0 means
	// DefaultMaxInflight.
	MaxInflight int
	// Requests and Duration end the run, whichever comes first; 0 means
	// no bound, and at least one of them must be set, except for a Replay,
	// whose stream may end by itself.
	Requests int64
	Duration time.Duration
	// Timeout bounds each decision, pool wait and round trip included; a
	// decision that outlives it is a timeout error. 0 means no bound
	// beyond the client's own read and write timeouts.
	Timeout time.Duration
	// Interval is the width of one point of the time series; 0 means 1s.
	Interval time.Duration
	// SpinWait is how long before each slot of the open model the
	// sender stops sleeping on Go's timers, which wake up to a millisecond
	// late (schedule lag), and waits precisely: on Linux in short sleeps
	// of its thread to within a learnt margin of the slot, spinning the
	// margin; with Spin, or elsewhere, spinning all of it. 0 only sleeps
	// on Go's timers.
	SpinWait time.Duration
	// Spin makes the sender spin for all of SpinWait instead of sleeping
	// its thread: the least lag, but a core for the whole open run, which
	// a small machine takes from the replies (their service times grow)
	// and from a Redis beside it. With one processor (GOMAXPROCS 1) the
	// spin yields to other goroutines, and replies wait for the network
	// poller, which a spinning processor seldom runs.
	Spin bool
	// MissAfter is how late after its slot a request of the open model may
	// be sent before it counts as missed; 0 means DefaultMissAfter.
	MissAfter time.Duration
	// HonorRetryAfter makes every simulated user polite: after a rejection
	// that says when to retry, its next request waits until then (as real
	// SDKs do). The wait is not schedule lag; response times include it.
	HonorRetryAfter bool
	// ForgetAdmissions, when set, keeps no admission instants for the
	// results file (Accuracy.Kept is nil), as nothing will read them: the
	// figures are the same, and memory no longer grows with the run.
	ForgetAdmissions bool
	// Observe, when set, sees every request once answered, from the
	// workers, concurrently: it must be safe for that, and quick, since
	// its time is the run's.
	Observe func(Sample)
	// Oracle, when set, judges every decision, before Observe sees it. A
	// simulation keeps each key's judges beside its other figures, one
	// record a key, when the oracle is told InOrder.
	Oracle *Oracle
	// Start, when set, is when the run begins: Run waits for it, so that a
	// Pacer built for that instant (NewWindowEdge) is aligned to it.
	Start time.Time
}

// Defaults of the open model.
const (
	DefaultMaxInflight = 256
	DefaultMissAfter   = 10 * time.Millisecond
	DefaultSpinWait    = 2 * time.Millisecond
)

// withDefaults fills the fields whose zero value stands for a default.
func (c Config) withDefaults() Config {
	if c.Cost == 0 {
		c.Cost = 1
	}
	if c.Interval == 0 {
		c.Interval = time.Second
	}
	if c.MaxInflight == 0 {
		c.MaxInflight = DefaultMaxInflight
	}
	if c.MissAfter == 0 {
		c.MissAfter = DefaultMissAfter
	}
	if c.Replay != nil && c.Pacer == nil && c.Keys == nil {
		c.Pacer, c.Keys = c.Replay, c.Replay
	}
	if c.Keys == nil {
		c.Keys = oneKey{}
	}
	return c
}

func (c Config) validate() error {
	switch {
	case c.Key == "":
		return fmt.Errorf("%w: key is empty", ErrInvalidConfig)
	case c.Cost < 1:
		return fmt.Errorf("%w: cost %d must be at least 1", ErrInvalidConfig, c.Cost)
	case c.Pacer == nil && c.Concurrency < 1:
		return fmt.Errorf("%w: concurrency %d must be at least 1", ErrInvalidConfig, c.Concurrency)
	case c.MaxInflight < 1:
		return fmt.Errorf("%w: max in flight %d must be at least 1", ErrInvalidConfig, c.MaxInflight)
	case c.Requests < 0:
		return fmt.Errorf("%w: requests %d must be at least 1 (or 0 to run for the duration)", ErrInvalidConfig, c.Requests)
	case c.Duration < 0:
		return fmt.Errorf("%w: duration %v must be positive (or 0 to run for the requests)", ErrInvalidConfig, c.Duration)
	case c.Requests == 0 && c.Duration == 0 && c.Replay == nil:
		return fmt.Errorf("%w: neither requests nor duration is set, so the run would never end", ErrInvalidConfig)
	case c.Timeout < 0:
		return fmt.Errorf("%w: timeout %v must be 0 (none) or positive", ErrInvalidConfig, c.Timeout)
	case c.Interval < time.Millisecond:
		return fmt.Errorf("%w: interval %v must be at least 1ms", ErrInvalidConfig, c.Interval)
	case (c.Tiers == nil) != (c.TierOf == nil):
		return fmt.Errorf("%w: tiers and their assignment go together", ErrInvalidConfig)
	case c.Replay != nil && (c.Pacer != c.Replay || c.Keys != c.Replay):
		return fmt.Errorf("%w: a replay is the schedule and the keys: no pacer or keys beside it", ErrInvalidConfig)
	case c.Replay != nil && c.MaxInflight*2 > c.Replay.ringSize():
		return fmt.Errorf("%w: a replay built for fewer than %d requests in flight", ErrInvalidConfig, c.MaxInflight)
	case c.Keys.N() < 1:
		return fmt.Errorf("%w: %d keys, want at least 1", ErrInvalidConfig, c.Keys.N())
	}
	if err := c.validatePipeline(); err != nil {
		return err
	}
	if err := c.Limit.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	for _, t := range c.Tiers {
		if err := t.Limit.Validate(); err != nil {
			return fmt.Errorf("%w: tier %s: %w", ErrInvalidConfig, t.Name, err)
		}
	}
	return nil
}

// limitOf is key k's limit: its tier's, or the Config's.
func (c *Config) limitOf(k int) algorithms.Limit {
	if c.TierOf == nil {
		return c.Limit
	}
	return c.Tiers[c.TierOf(k)].Limit
}

// tierName is the name of key k's tier, "" without tiers.
func (c *Config) tierName(k int) string {
	if c.TierOf == nil {
		return ""
	}
	return c.Tiers[c.TierOf(k)].Name
}

// request is request hit's key and cost: its replay's, or Keys' and Cost.
func (c *Config) request(hit uint64) (int, int64) {
	if c.Replay != nil {
		return c.Replay.request(hit)
	}
	return c.Keys.Key(hit), c.Cost
}

// KeyName is the user key a run of c sends as its key k (0 is the first
// of a trace's keys, and the hottest under zipf).
func (c Config) KeyName(k int) string { return c.keyName(k) }

// keyName is key k's user key.
func (c *Config) keyName(k int) string {
	if c.Replay != nil {
		return c.Key + ":" + c.Replay.stream.Name(k)
	}
	if c.Keys == nil || c.Keys.N() == 1 {
		return c.Key
	}
	return c.Key + ":" + strconv.Itoa(k)
}

// oneKey is the Keys of a run at a single key.
type oneKey struct{}

func (oneKey) Key(uint64) int { return 0 }
func (oneKey) N() int         { return 1 }
