// Package bench runs plans: algorithms × workloads × limits × repetitions
// against one connected Redis, each run driven by the workload engine and
// turned into a row of a results file. "rlbench run" is a plan with one
// workload and limit; "rlbench bench" a matrix.
package bench

import (
	"fmt"
	"slices"
	"time"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/workload"
	"github.com/rlbench/rlbench/workload/trace"
)

// Workload names.
const (
	Closed     = "closed"
	Steady     = "steady"
	Bursty     = "bursty"
	WindowEdge = "window-edge"
	Poisson    = "poisson"
	Ramp       = "ramp"
	Trace      = "trace"
	Synthetic  = "synthetic"
)

// workloads is every traffic shape and the Load fields that shape it
// beyond those every run reads (named as the flags that set them). Adding a
// workload is a line here, a case in Load.Pacer and its pacer in package
// workload.
var workloads = []struct {
	name string
	uses []string
}{
	{Closed, []string{"concurrency", "pipeline"}},
	{Steady, []string{"rate", "max-inflight", "miss-after", "spin-wait", "spin"}},
	{Bursty, []string{"rate", "burst-size", "burst-every", "max-inflight", "miss-after", "spin-wait", "spin"}},
	{WindowEdge, []string{"burst-size", "edge-offset", "max-inflight", "miss-after", "spin-wait", "spin"}},
	{Poisson, []string{"rate", "max-inflight", "miss-after", "spin-wait", "spin"}},
	{Ramp, []string{"rate", "rate-start", "max-inflight", "miss-after", "spin-wait", "spin"}},
	{Trace, []string{"trace", "trace-speed", "max-inflight", "miss-after", "spin-wait", "spin"}},
	{Synthetic, []string{"sources", "rate", "rate-zipf", "on-mean", "off-mean", "pareto-alpha", "diurnal",
		"diurnal-period", "abusive", "abusive-rate", "max-inflight", "miss-after", "spin-wait", "spin"}},
}

// WorkloadNames lists the workloads in the order help shows them.
func WorkloadNames() []string {
	names := make([]string, len(workloads))
	for i, w := range workloads {
		names[i] = w.name
	}
	return names
}

// IsWorkload reports whether name is a workload.
func IsWorkload(name string) bool { return slices.Contains(WorkloadNames(), name) }

// IsOpen reports whether the named workload keeps to a schedule (the open
// model) rather than sending back to back.
func IsOpen(name string) bool { return name != Closed && IsWorkload(name) }

// ReadBy lists the workloads that read field, such as "rate"; nil for a
// field every workload reads.
func ReadBy(field string) []string {
	var names []string
	for _, w := range workloads {
		if slices.Contains(w.uses, field) {
			names = append(names, w.name)
		}
	}
	return names
}

// Fields lists every field that only some workloads read.
func Fields() []string {
	var fields []string
	for _, w := range workloads {
		for _, f := range w.uses {
			if !slices.Contains(fields, f) {
				fields = append(fields, f)
			}
		}
	}
	return fields
}

// Load is what shapes every run of a plan: the limit, the traffic, the
// keys, the bounds of each run and the clock. Its zero values are not
// defaults: the command that fills it resolves them.
type Load struct {
	// Limit is every key's limit unless Tiers say otherwise.
	Limit algorithms.Limit
	// Rate, RateStart, BurstSize, BurstEvery and EdgeOffset shape the open
	// model's schedules; BaseRate is bursty's steady rate beneath its
	// bursts (0 for none).
	Rate, BaseRate, RateStart float64
	BurstSize                 int64
	BurstEvery, EdgeOffset    time.Duration
	// Requests and Duration end each run, whichever first; 0 means no bound.
	Requests int64
	Duration time.Duration
	// Concurrency is the closed model's workers; MaxInflight bounds the
	// open model's requests in flight.
	Concurrency, MaxInflight int
	// Pipeline is how many requests each closed-model worker sends in one
	// round trip (workload.Config.Pipeline); 0 or 1 is one at a time.
	Pipeline int
	// Key is the user key; with Keys > 1 keys are Key:0 ... Key:N-1,
	// chosen by KeyDist (uniform or zipf, with ZipfS).
	Key     string
	Keys    int
	KeyDist string
	ZipfS   float64
	// Tiers give shares of the keys their own limits.
	Tiers []workload.Tier
	// Timeout bounds each decision (0: none); Interval is the width of a
	// time-series point; MissAfter how late a request may leave its slot
	// before it counts as missed.
	Timeout, Interval, MissAfter time.Duration
	// SpinWait is how long before each slot the open model's sender
	// stops sleeping on timers (workload.Config.SpinWait), Spin whether it
	// spins there instead of sleeping its thread (Config.Spin).
	SpinWait time.Duration
	Spin     bool
	// ClientClock passes rlbench's clock to the scripts instead of Redis
	// TIME, with every TTL padded by ClockSkewAllowance.
	ClientClock        bool
	ClockSkewAllowance time.Duration
	// ClockSkew, ClockGroups and ClockBlock skew the client clock of
	// every run (ClockSkew, the D of each Run, shown here for the config):
	// see ClockSkew. They change nothing under the server clock.
	ClockSkew   time.Duration
	ClockGroups int
	ClockBlock  int64
	// RunID names the runs' keys, <key>:<algorithm>:<run id>:<n>; "" means
	// a random one. Generators given the same one load the same keys.
	RunID string
	// Seed seeds key choice and Poisson arrivals; 0 means a random one.
	Seed uint64
	// StartAt, when set, is when the first run starts: Execute waits for
	// it and anchors that run's schedule there, so that generators on
	// several machines given the same instant send together.
	StartAt time.Time
	// GeneratorID names this generator in its results; "" means a random one.
	GeneratorID string
	// HonorRetryAfter makes every simulated user wait out a Retry-After.
	HonorRetryAfter bool
	// Faults are injected into every run, each at its time from the
	// run's start, on a deployment rlbench started itself.
	Faults []Fault
	// Clients are the Redis clients each algorithm decides through, in
	// turn (redisconn.Clients); none means go-redis alone.
	Clients []string
	// Trace is the trace file the trace workload replays, already checked
	// (trace.Scan), at TraceSpeed (1: its own pace).
	Trace      *trace.File
	TraceSpeed float64
	// Synthetic is the generator of the synthetic workload; its Seed 0
	// means the run's seed.
	Synthetic trace.Params
	// Oracle is the exact policy every run's decisions are judged by
	// (workload.Oracle): one of report.OraclePolicies, or "" or "none"
	// for no oracle.
	Oracle string
	// ForgetAdmissions keeps no admission instants in the results
	// (workload.Config.ForgetAdmissions): set when no results file is
	// written or printed whole.
	ForgetAdmissions bool
}

// Stream opens the request stream of the trace or synthetic workload for
// one run with at most inflight requests in flight; nil for the others.
// Each run reads it anew, so every algorithm sees the same requests.
func (l *Load) Stream(name string, seed uint64, inflight int) (*workload.Replay, error) {
	switch name {
	case Trace:
		if l.Trace == nil {
			return nil, fmt.Errorf("%w: --workload trace needs a --trace file", workload.ErrInvalidConfig)
		}
		r, err := l.Trace.Open(l.TraceSpeed)
		if err != nil {
			return nil, err
		}
		return workload.NewReplay(r, inflight), nil
	case Synthetic:
		p := l.Synthetic
		if p.Seed == 0 {
			p.Seed = seed
		}
		p.Duration = 0 // the run's bounds end it
		g, err := trace.NewGenerator(p)
		if err != nil {
			return nil, err
		}
		return workload.NewReplay(g, inflight), nil
	}
	return nil, nil
}

// Pacer builds the schedule of the named workload under limit for a run
// that starts at start; nil for the closed model.
func (l *Load) Pacer(name string, limit algorithms.Limit, start time.Time, seed uint64) (workload.Pacer, error) {
	switch name {
	case Steady:
		return pacerOf(workload.NewSteady(l.Rate))
	case Bursty:
		return pacerOf(workload.NewBursty(l.BurstSize, l.BurstEvery, l.BaseRate))
	case WindowEdge:
		return pacerOf(workload.NewWindowEdge(limit.Window, l.EdgeOffset, l.BurstSize, start))
	case Poisson:
		return pacerOf(workload.NewPoisson(l.Rate, seed))
	case Ramp:
		return pacerOf(workload.NewRamp(l.RateStart, l.Rate, l.Duration))
	}
	return nil, nil
}

// pacerOf turns a constructor's concrete result into a Pacer, nil on error.
func pacerOf[P workload.Pacer](p P, err error) (workload.Pacer, error) {
	if err != nil {
		return nil, err
	}
	return p, nil
}

// KeyChooser builds the key chooser; nil means the single key.
func (l *Load) KeyChooser(seed uint64) (workload.Keys, error) {
	switch {
	case l.Keys == 1:
		return nil, nil
	case l.KeyDist == "zipf":
		return workload.NewZipfKeys(l.Keys, l.ZipfS, seed)
	}
	return workload.NewUniformKeys(l.Keys, seed)
}

// Pool is how many connections the workloads keep busy at most, and the
// field that sets it: Concurrency for the closed model, MaxInflight for
// the open one, the larger of those that run.
func (l *Load) Pool(workloads []string) (size int, field string) {
	if slices.Contains(workloads, Closed) {
		size, field = l.Concurrency, "concurrency"
	}
	if slices.ContainsFunc(workloads, IsOpen) && l.MaxInflight >= size {
		size, field = l.MaxInflight, "max-inflight"
	}
	return size, field
}
