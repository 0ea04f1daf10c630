package main

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/bench"
	"github.com/rlbench/rlbench/metrics"
	"github.com/rlbench/rlbench/report"
	"github.com/rlbench/rlbench/workload"
)

// Workload names for --workload.
const (
	workloadClosed     = bench.Closed
	workloadSteady     = bench.Steady
	workloadBursty     = bench.Bursty
	workloadWindowEdge = bench.WindowEdge
	workloadPoisson    = bench.Poisson
	workloadRamp       = bench.Ramp
)

// RunOptions is what "rlbench run" was asked to do, every value checked;
// "rlbench bench" shares it for the load each run of its matrix gets.
type RunOptions struct {
	IO     IO
	Global *GlobalOptions

	// Algorithms are registry names, in the order to run them.
	Algorithms []string
	// Workload is the traffic shape of run, one of bench.WorkloadNames.
	Workload string
	// Output, when set, is where the results file is written.
	Output string
	// MetricsAddr, when set, is where /metrics is served while the runs
	// last: --metrics-addr.
	MetricsAddr string
	// CPUProfile, when set, is where the CPU profile of the runs is
	// written: --cpuprofile.
	CPUProfile string
	// HTTP, when its URL is set, is the API every run drives instead of
	// rlbench's own limiters.
	HTTP HTTPOptions
	// TracePath is --trace, the file --workload trace replays.
	TracePath string
	// skewSwept is set when --sweep clock-skew=... gives each run its skew.
	skewSwept bool
	// sweep is simulate's --sweep (bench keeps its own in BenchOptions).
	sweep sweepFlag
	// Load is what shapes every run; its flags share its fields' names.
	// BurstSize and BurstEvery default to the limit and its window when
	// 0; BaseRate is Rate when --rate was given, else 0.
	bench.Load
}

// Upper bounds of the load flags: far above any sensible run, low enough
// that no value within them exhausts memory or overflows a computation.
const (
	maxConcurrency = 10000
	maxInflight    = 100000
	maxKeys        = 100_000_000
	maxLimit       = 1e15 // --limit, --burst, --burst-size
	maxRequests    = 1e12
	maxRate        = 1e7                  // requests per second
	minRate        = 1.0 / 3600           // one an hour: a positive --rate below it is refused
	maxDuration    = 366 * 24 * time.Hour // 8784h: every duration flag
	maxClockSkew   = 24 * time.Hour       // --clock-skew and each skew of --sweep clock-skew=
)

// loadDefaults are the flag defaults that differ between run and bench.
type loadDefaults struct {
	window     time.Duration
	rate       float64
	duration   time.Duration
	burstEvery time.Duration
}

// addLoadFlags registers the flags that shape the load of one run.
func addLoadFlags(f *pflag.FlagSet, o *RunOptions, d loadDefaults) {
	f.Int64Var(&o.Limit.Requests, "limit", 100, "requests allowed per window, at most 1e15")
	f.DurationVar(&o.Limit.Window, "window", d.window, "window `duration`, such as 600s, 1m or 500ms; at most 8784h")
	f.Int64Var(&o.Limit.Burst, "burst", 0, "bucket capacity of "+strings.Join(algorithms.BurstNames(), ", ")+" (default the limit), at most 1e15")
	f.Float64Var(&o.Rate, "rate", d.rate, "requests per second of steady and poisson, the final rate of ramp; "+
		"with bursty, a steady rate beneath its bursts, only when given; from 0.000278 (one an hour) to 1e7")
	f.Float64Var(&o.RateStart, "rate-start", 0, "the starting rate of ramp, at most 1e7")
	f.Int64Var(&o.BurstSize, "burst-size", 0, "requests in each burst of bursty and window-edge (default the limit), at most 1e15")
	burstEvery := "time between bursts of bursty (default the window), at most 8784h"
	if d.burstEvery != 0 {
		burstEvery = "time between bursts of bursty, 0 for the window, at most 8784h"
	}
	f.DurationVar(&o.BurstEvery, "burst-every", d.burstEvery, burstEvery)
	f.DurationVar(&o.EdgeOffset, "edge-offset", 5*time.Millisecond, "how far before and after each boundary window-edge bursts go, at most 8784h")
	f.Int64Var(&o.Requests, "requests", 10000, "requests to send to each run at most, up to 1e12; 0 for no bound; given without --duration, no time bound")
	f.DurationVar(&o.Duration, "duration", d.duration, "how long each run lasts at most, up to 8784h; 0 for no bound; given without --requests, no request bound")
	f.IntVar(&o.Concurrency, "concurrency", 10, "workers of the closed model, at most 10000")
	f.IntVar(&o.Pipeline, "pipeline", 1, "requests each worker of the closed model sends in one round trip, as redis-benchmark -P: 1 to 10000; "+
		"latency is then per batch")
	f.IntVar(&o.MaxInflight, "max-inflight", workload.DefaultMaxInflight, "requests in flight at most in the open model, up to 100000")
	f.StringVar(&o.Key, "key", "user:1", "user `key` the requests ask for")
	f.IntVar(&o.Keys, "keys", 1, "number of user keys, <key>:0 to <key>:N-1, at most 100000000")
	o.KeyDist = "uniform"
	f.Var((*keyDistFlag)(&o.KeyDist), "key-dist", "how requests choose keys: uniform or zipf")
	f.Float64Var(&o.ZipfS, "zipf-s", 1.1, "exponent of the zipf key distribution, positive")
	f.Var((*tierFlag)(&o.Tiers), "tier", "a share of the keys with its own limit: `NAME=REQUESTS/WINDOW:SHARE`, such as free=100/10m:0.9 (repeat; shares sum to 1)")
	f.DurationVar(&o.Timeout, "timeout", time.Second, "bound on each decision, at most 8784h; 0 for none")
	f.DurationVar(&o.Interval, "interval", time.Second, "width of one point of the time series, at most 8784h")
	f.DurationVar(&o.MissAfter, "miss-after", workload.DefaultMissAfter, "how late after its slot a request counts as missed, at most 8784h")
	f.DurationVar(&o.SpinWait, "spin-wait", workload.DefaultSpinWait, "how long before each slot of the open model the sender stops sleeping on timers, which wake up to 1ms late, "+
		"and waits precisely (on Linux sleeping its thread to a learnt margin before the slot, spinning the margin); 0 only sleeps on timers, at most 1s")
	f.BoolVar(&o.Spin, "spin", false, "spin for all of --spin-wait instead of sleeping the sender's thread: the least lag, but a core for the whole open run, "+
		"which a small machine takes from the replies and from a Redis beside it")
	f.Bool("precise-sleep", true, "")
	_ = f.MarkDeprecated("precise-sleep", "sleeping the sender's thread is now the default; --spin spins instead")
	f.BoolVar(&o.ClientClock, "client-clock", false, "pass rlbench's clock to the scripts instead of Redis TIME")
	f.DurationVar(&o.ClockSkewAllowance, "clock-skew-allowance", algorithms.DefaultClockSkewAllowance,
		"with --client-clock, how far rlbench's clock may be from the Redis server's: every TTL is padded by it")
	f.DurationVar(&o.ClockSkew, "clock-skew", 0, "lag the client clock of some callers by up to `D`, such as 10s: request groups' clocks lag evenly "+
		"from D to 0 (with --client-clock or in simulate; every TTL then padded by at least D), at most 24h")
	f.IntVar(&o.ClockGroups, "clock-groups", bench.DefaultClockGroups, "with --clock-skew, how many callers' clocks, from D slow to true time: 2 to 1000")
	f.Int64Var(&o.ClockBlock, "clock-block", bench.DefaultClockBlock, "with --clock-skew, how many consecutive requests each caller sends in turn, at least 1")
	f.BoolVar(&o.HonorRetryAfter, "honor-retry-after", false, "polite clients: after a rejection that says when to retry, a user's next request waits until then")
	f.Var((*faultFlag)(&o.Faults), "fault", "inject a fault into every run at a time from its start: `KIND@AT`, such as restart@2s or pause:500ms@1s (repeat); "+
		"KIND is "+strings.Join(bench.FaultKinds, ", ")+"; only on a Redis rlbench starts (--redis local, local-cluster or local-sentinel)")
	f.StringVar(&o.RunID, "run-id", "", "name of this run in its keys (default random); give several generators the same one to load the same keys")
	f.Var(instantFlag{&o.StartAt}, "start-at", "start the first run at `TIME` (RFC 3339, such as 2026-12-02T16:00:00.5Z), anchoring its schedule there, "+
		"so that generators on several machines send together; at most 24h ahead, up to 1s late")
	f.StringVar(&o.GeneratorID, "generator-id", "", "name this generator `ID` in its results and reports (default random), such as its host name: "+
		"letters, digits and . _ : -, at most 64")
	addTraceFlags(f, o)
	addGenFlags(f, &o.Synthetic)
	f.Var((*oracleFlag)(&o.Oracle), "oracle", "judge every decision against an exact `POLICY`, counting false allows and false denies: "+
		strings.Join(report.OraclePolicies, ", ")+" or none (the default); --oracle alone is sliding (at most --limit in any trailing --window); "+
		"name another as --oracle=fixed")
	f.Lookup("oracle").NoOptDefVal = "sliding"
	f.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of the runs to `file`, for go tool pprof")
	f.StringVar(&o.MetricsAddr, "metrics-addr", "", "serve Prometheus metrics at http://`host:port`/metrics while the runs last, such as 127.0.0.1:9100: "+
		strings.Join(metrics.Names(), ", "))
}

// check validates the flags and resolves lists and defaults, so that bad
// input stops before any connection is made. workloads are every workload
// the command will run.
func (o *RunOptions) check(cmd *cobra.Command, algo *algoFlag, workloads []string) error {
	names := algo.names
	o.Algorithms = names
	changed := cmd.Flags().Changed
	// A cap given alone lifts the other's default, which would otherwise
	// end the run first without a word.
	if changed("duration") && !changed("requests") && o.Duration > 0 {
		o.Requests = 0
	}
	if changed("requests") && !changed("duration") && o.Requests > 0 {
		o.Duration = 0
	}
	// A trace ends by itself: unless told otherwise, each run replays all of it.
	traceOnly := len(workloads) > 0 && !slices.ContainsFunc(workloads, func(w string) bool { return w != bench.Trace })
	if traceOnly && !changed("requests") && !changed("duration") {
		o.Requests, o.Duration = 0, 0
	}
	switch {
	case o.MetricsAddr != "" && !validListenAddr(o.MetricsAddr):
		return usageErrorf("invalid --metrics-addr %q: want host:port, such as 127.0.0.1:9100 (port 0 picks a free one)", o.MetricsAddr)
	case o.Limit.Requests < 1:
		return usageErrorf("invalid --limit %d: must be at least 1", o.Limit.Requests)
	case o.Limit.Window < time.Millisecond:
		return usageErrorf("invalid --window %v: must be at least 1ms, such as 600s, 1m or 500ms", o.Limit.Window)
	case changed("burst") && o.Limit.Burst < 1:
		return usageErrorf("invalid --burst %d: must be at least 1 (leave it out to use the limit)", o.Limit.Burst)
	case changed("burst") && !slices.ContainsFunc(names, func(n string) bool { return slices.Contains(algorithms.BurstNames(), n) }):
		return usageErrorf("--burst applies only to %s, and --algo %s has none of them", strings.Join(algorithms.BurstNames(), ", "), algo.text)
	case o.Requests < 0 || (o.Requests == 0 && o.Duration == 0 && !traceOnly):
		return usageErrorf("invalid --requests %d: must be at least 1 (or 0 with a --duration)", o.Requests)
	case o.Duration < 0:
		return usageErrorf("invalid --duration %v: must be positive (or 0 for no bound)", o.Duration)
	case o.Concurrency < 1:
		return usageErrorf("invalid --concurrency %d: must be at least 1", o.Concurrency)
	case o.MaxInflight < 1:
		return usageErrorf("invalid --max-inflight %d: must be at least 1", o.MaxInflight)
	case o.Pipeline < 1:
		return usageErrorf("invalid --pipeline %d: want 1 (one request per round trip) to %d", o.Pipeline, workload.MaxPipeline)
	case o.Key == "":
		return usageErrorf("invalid --key \"\": must not be empty")
	case o.Keys < 1:
		return usageErrorf("invalid --keys %d: must be at least 1", o.Keys)
	case o.ClockSkewAllowance < 0 || o.ClockSkewAllowance > 24*time.Hour:
		return usageErrorf("invalid --clock-skew-allowance %v: want 0 to 24h, such as 1s", o.ClockSkewAllowance)
	case changed("clock-skew-allowance") && !o.ClientClock:
		return usageErrorf("--clock-skew-allowance applies only with --client-clock: the server clock needs none")
	case o.ClockSkew < 0 || o.ClockSkew > maxClockSkew:
		return usageErrorf("invalid --clock-skew %v: want 0 to 24h, such as 10ms", o.ClockSkew)
	case o.ClockGroups < 2 || o.ClockGroups > bench.MaxClockGroups:
		return usageErrorf("invalid --clock-groups %d: want 2 to %d", o.ClockGroups, bench.MaxClockGroups)
	case o.ClockBlock < 1 || o.ClockBlock > maxRequests:
		return usageErrorf("invalid --clock-block %d: want 1 to 1e12 requests", o.ClockBlock)
	case (changed("clock-groups") || changed("clock-block")) && o.ClockSkew == 0 && !o.skewSwept:
		return usageErrorf("--clock-groups and --clock-block apply with --clock-skew or --sweep clock-skew=...")
	case o.Timeout < 0:
		return usageErrorf("invalid --timeout %v: must be 0 (no timeout) or positive", o.Timeout)
	case o.Interval < time.Millisecond:
		return usageErrorf("invalid --interval %v: must be at least 1ms", o.Interval)
	case o.MissAfter <= 0:
		return usageErrorf("invalid --miss-after %v: must be positive, such as 1ms", o.MissAfter)
	case o.SpinWait < 0 || o.SpinWait > time.Second:
		return usageErrorf("invalid --spin-wait %v: want 0 (only sleep) to 1s, such as 2ms", o.SpinWait)
	case strings.ContainsAny(o.RunID, "{} \t\n"):
		return usageErrorf("invalid --run-id %q: no braces or spaces, which would break the keys' hash tag", o.RunID)
	case o.BurstEvery < 0:
		return usageErrorf("invalid --burst-every %v: must be positive (or 0 for the window)", o.BurstEvery)
	case changed("generator-id") && !generatorID.MatchString(o.GeneratorID):
		return usageErrorf("invalid --generator-id %q: want 1 to 64 letters, digits and . _ : -, such as gen-1 or a host name", o.GeneratorID)
	}
	if !o.StartAt.IsZero() {
		if err := bench.CheckStartAt(o.StartAt, time.Now()); err != nil {
			return err
		}
	}
	if err := o.checkBounds(); err != nil {
		return err
	}
	if len(o.Tiers) > 0 {
		if _, err := workload.AssignTiers(o.Tiers, o.Keys); err != nil {
			return usageError{err}
		}
	}
	if err := o.checkApplies(changed, workloads); err != nil {
		return err
	}
	if err := o.checkPipeline(names); err != nil {
		return err
	}
	if err := o.checkStreams(changed, workloads); err != nil {
		return err
	}
	if o.ClockSkew == 0 && !o.skewSwept {
		o.ClockGroups, o.ClockBlock = 0, 0 // no skew: nothing to record
	}
	if o.BurstSize == 0 {
		o.BurstSize = o.Limit.Requests
	}
	if o.BurstEvery == 0 {
		o.BurstEvery = o.Limit.Window
	}
	if changed("rate") {
		o.BaseRate = o.Rate
	}
	// Build every piece once now, so that a bad rate or size is a usage
	// error before anything connects.
	for _, w := range workloads {
		if w == workloadRamp && o.Duration == 0 {
			return usageErrorf("--workload ramp needs a --duration to ramp over")
		}
		if _, err := o.Pacer(w, o.Limit, time.Now(), 1); err != nil {
			return usageError{err}
		}
	}
	if _, err := o.KeyChooser(1); err != nil {
		return usageError{err}
	}
	return nil
}

// generatorID is what --generator-id accepts: a name that reads plainly
// in a header and a file name.
var generatorID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// checkBounds refuses values above the flags' documented upper bounds, and
// rates that are not finite or too slow for one request an hour.
func (o *RunOptions) checkBounds() error {
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{{"window", o.Limit.Window}, {"duration", o.Duration}, {"timeout", o.Timeout}, {"interval", o.Interval},
		{"miss-after", o.MissAfter}, {"burst-every", o.BurstEvery}, {"edge-offset", o.EdgeOffset}} {
		if d.v > maxDuration {
			return usageErrorf("invalid --%s %s: out of range, want at most 8784h (366 days)", d.flag, shortDuration(d.v))
		}
	}
	for _, n := range []struct {
		flag   string
		v, max int64
	}{{"concurrency", int64(o.Concurrency), maxConcurrency}, {"max-inflight", int64(o.MaxInflight), maxInflight},
		{"pipeline", int64(o.Pipeline), workload.MaxPipeline},
		{"keys", int64(o.Keys), maxKeys}, {"limit", o.Limit.Requests, maxLimit}, {"burst", o.Limit.Burst, maxLimit},
		{"burst-size", o.BurstSize, maxLimit}, {"requests", o.Requests, maxRequests}} {
		if n.v > n.max {
			return usageErrorf("invalid --%s %d: out of range, want at most %d", n.flag, n.v, n.max)
		}
	}
	for _, r := range []struct {
		flag string
		v    float64
	}{{"rate", o.Rate}, {"rate-start", o.RateStart}} {
		if math.IsNaN(r.v) || math.IsInf(r.v, 0) || r.v > maxRate {
			return usageErrorf("invalid --%s %v: out of range, want a finite rate of at most 1e7 requests per second", r.flag, r.v)
		}
	}
	if o.Rate > 0 && o.Rate < minRate {
		return usageErrorf("invalid --rate %v: one request every %s; want at least %.3g (one an hour)", o.Rate, period(1/o.Rate), minRate)
	}
	return nil
}

// checkApplies refuses a flag given for a run that would ignore it: a
// workload's flag when none of workloads reads it, a key flag with one key,
// a limit flag that every key's tier overrides. A flag that shapes some of
// the runs (bursty's --rate in a bench that also runs window-edge) is fine.
// It runs before the defaults that derive from --limit and --window are
// filled, so that it can tell whether anything reads them.
func (o *RunOptions) checkApplies(changed func(string) bool, workloads []string) error {
	for _, flag := range bench.Fields() {
		readBy := bench.ReadBy(flag)
		if !changed(flag) || slices.ContainsFunc(workloads, func(w string) bool { return slices.Contains(readBy, w) }) {
			continue
		}
		msg := fmt.Sprintf("--%s applies to --workload %s, not %s", flag, orList(readBy), orList(workloads))
		switch {
		case !slices.ContainsFunc(workloads, func(w string) bool { return w != workloadClosed }):
			msg += ": closed runs --concurrency workers back to back"
		case !slices.Contains(workloads, workloadClosed) && flag == "concurrency":
			msg += ": open workloads keep to a schedule, with at most --max-inflight requests in flight"
		case !slices.Contains(workloads, workloadClosed) && flag == "pipeline":
			msg += ": open workloads send each request at its own slot"
		}
		return usageErrorf("%s", msg)
	}
	switch {
	case changed("key-dist") && o.Keys == 1:
		return usageErrorf("--key-dist applies with --keys above 1: one key has no distribution")
	case changed("zipf-s") && o.KeyDist != "zipf":
		return usageErrorf("--zipf-s applies with --key-dist zipf, not %s", o.KeyDist)
	}
	if len(o.Tiers) == 0 {
		return nil
	}
	// With tiers every key has its tier's limit. --limit is left only as the
	// default --burst-size, --window as window-edge's boundaries and
	// bursty's default --burst-every.
	bursts := slices.Contains(workloads, workloadBursty) || slices.Contains(workloads, workloadWindowEdge)
	limitRead := bursts && o.BurstSize == 0
	windowRead := slices.Contains(workloads, workloadWindowEdge) || slices.Contains(workloads, workloadBursty) && o.BurstEvery == 0
	switch {
	case changed("burst"):
		return usageErrorf("--burst does not apply with --tier: every key has its tier's limit, and a bucket's capacity is the tier's requests")
	case changed("limit") && !limitRead:
		return usageErrorf("--limit does not apply with --tier: every key has its tier's limit")
	case changed("window") && !windowRead:
		return usageErrorf("--window does not apply with --tier: every key has its tier's limit and window")
	}
	return nil
}

// checkPipeline refuses --pipeline above 1 where batches cannot go: an
// HTTP API, polite clients, and the seed replays, whose decisions take
// several commands each.
func (o *RunOptions) checkPipeline(names []string) error {
	if o.Pipeline <= 1 {
		return nil
	}
	switch {
	case o.HTTP.URL != "":
		return usageErrorf("--pipeline does not apply with --target: an HTTP API is sent one request per round trip")
	case o.HonorRetryAfter:
		return usageErrorf("--pipeline does not apply with --honor-retry-after: a polite client waits for each answer before asking again")
	}
	for _, name := range names {
		if slices.Contains(algorithms.SeedNames(), name) {
			return usageErrorf("--pipeline applies to the atomic algorithms and baseline, not %s: its decisions take several commands each, which one batch cannot carry", name)
		}
	}
	return nil
}

// orList writes names as "a", "a or b", "a, b or c".
func orList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// period writes a number of seconds, an hour or more, in hours, days or years.
func period(seconds float64) string {
	const hour, day, year = 3600.0, 24 * 3600.0, 365.25 * 24 * 3600.0
	switch {
	case seconds >= year:
		return fmt.Sprintf("%.3g years", seconds/year)
	case seconds >= day:
		return fmt.Sprintf("%.3g days", seconds/day)
	}
	return fmt.Sprintf("%.3g hours", seconds/hour)
}

// connect opens the target for opts, with a connection for every request
// that can be in flight in the workloads to run.
func connect(ctx context.Context, opts *RunOptions, workloads []string) (*bench.Session, error) {
	if opts.HTTP.URL != "" {
		return openTarget(opts, workloads)
	}
	opts.Load.Seed = opts.Global.Seed
	opts.Load.Clients = opts.Global.Clients
	conn, err := opts.Global.Connection.redisOptions(opts.Global.RedisURL, opts.IO.Getenv)
	if err != nil {
		return nil, err
	}
	pool, field := opts.Pool(workloads)
	conn.PoolSize = pool
	conn.Cluster = opts.Global.Cluster
	s, err := bench.Open(ctx, opts.Global.RedisURL, conn, &opts.Load)
	if err != nil {
		if ctx.Err() != nil {
			return nil, interruptedError{"while connecting"}
		}
		return nil, connectError(err, "--"+field)
	}
	if wait := time.Until(opts.StartAt); wait > 0 && !opts.Global.Quiet {
		fmt.Fprintf(opts.IO.Err, "waiting %s for --start-at %s\n", wait.Round(100*time.Millisecond), opts.StartAt.Format(time.RFC3339Nano))
	}
	return s, nil
}

// finish writes the results file when asked, then reports how the plan
// ended: interrupted, with failed requests, or nil.
func finish(ctx context.Context, results []workload.Result, planned int) error {
	if ctx.Err() != nil {
		if len(results) == 0 {
			return interruptedError{"before the first run"}
		}
		last := results[len(results)-1]
		return interruptedError{fmt.Sprintf("%s sent %d %s; %d of %d %s done",
			last.Algorithm, last.Sent, report.Plural(last.Sent, "request"), len(results), planned, report.Plural(planned, "run"))}
	}
	return bench.Failures(results)
}

// shortDuration drops Go's trailing zero units: 1m, not 1m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
