package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/internal/redisconn"
	"github.com/rlbench/rlbench/report"
	"github.com/rlbench/rlbench/target"
	"github.com/rlbench/rlbench/workload"
)

// Session is a connected target and what every run of a plan shares: the
// load, the seed, the run id, and how each run gets its target.
type Session struct {
	// Info is what the results file records of the target.
	Info  report.Target
	load  *Load
	seed  uint64
	runID string
	// startAt is the start of the first run, until it has begun.
	startAt time.Time
	// build makes the target of one run, the promise it is held to (nil:
	// none) and its name in the results.
	build func(r Run) (target.Target, algorithms.Promise, string, error)
	// preload readies the target before the first timed request.
	preload func(ctx context.Context)
	close   func() error
	// tally, when set, checks what the target said in its answers.
	tally bool
	// deployment takes the load's faults; nil when it has none.
	deployment Deployment
	// cluster, when set, is the Redis Cluster whose masters' shares of
	// each run's decisions the results record.
	cluster *redisconn.Target
	// cost, when set, measures what each run costs Redis.
	cost *costMeter
	// clients are the Redis clients the runs decide through, as the
	// results file's config.client records them; "" for a target that
	// is no Redis.
	clients string
}

// Open connects to the Redis at url (the embedded one when empty) as conn
// says, its pool sized for the load: each run drives its algorithm's
// limiter.
func Open(ctx context.Context, url string, conn redisconn.Options, load *Load) (*Session, error) {
	t, err := redisconn.Open(ctx, url, conn)
	if err != nil {
		return nil, err
	}
	for _, f := range load.Faults {
		if err := t.CheckFault(f.Kind); err != nil {
			_ = t.Close()
			return nil, err
		}
	}
	var algOpts algorithms.Options
	if load.ClientClock {
		algOpts.Clock = algorithms.ClockFunc(time.Now)
		algOpts.ClockSkewAllowance = load.ClockSkewAllowance
	}
	info := report.Target{Kind: t.Kind, Address: t.Address, ServerVersion: t.ServerVersion, Cluster: topology(t), Sentinel: sentinelTopology(t.Sentinel)}
	s := newSession(load, info, t.Close)
	if t.Kind == redisconn.KindCluster {
		s.cluster = t
	}
	// Every client is opened before the first run, so that no run pays
	// for a dial; the control plane (preload, cost, faults) stays on
	// go-redis.
	clients := map[string]redis.UniversalClient{}
	for _, name := range load.Clients {
		c, err := t.Driver(ctx, name)
		if err != nil {
			_ = t.Close()
			return nil, err
		}
		clients[name] = c
	}
	s.clients = strings.Join(load.Clients, ",")
	if s.clients == "" {
		s.clients = redisconn.ClientGoRedis
	}
	s.build = func(r Run) (target.Target, algorithms.Promise, string, error) {
		rdb, ok := clients[r.Client]
		if !ok {
			rdb = t.Client
		}
		if r.ClockSkew > 0 && algOpts.Clock != nil {
			// Under the server clock the callers' clocks reach no
			// limiter: a skew changes nothing, and none is built.
			opts := algOpts
			opts.ClockSkewAllowance = skewPadding(opts.ClockSkewAllowance, r.ClockSkew)
			skewed, limiter, err := newSkewTarget(load.clockSkew(r.ClockSkew), func(o algorithms.Options) (algorithms.Limiter, error) {
				return algorithms.New(r.Algorithm, rdb, o)
			}, opts)
			if err != nil {
				return nil, nil, "", err
			}
			return skewed, limiter, clientName(load, r, limiter), nil
		}
		limiter, err := algorithms.New(r.Algorithm, rdb, algOpts)
		if err != nil {
			return nil, nil, "", err
		}
		name := clientName(load, r, limiter)
		// go-redis on one server (not a Cluster, whose keys pick the
		// node, nor Sentinel, whose master moves): each closed-model
		// worker on a connection of its own. Pipelined workers share the
		// pool, whose pipelines write a whole batch at once; rueidis
		// multiplexes every caller onto its own connections.
		if c, ok := rdb.(*redis.Client); ok && rdb == t.Client && load.Pipeline <= 1 && (t.Kind == redisconn.KindRedis || t.Kind == redisconn.KindMiniredis) {
			return target.Dedicated(limiter, c), limiter, name, nil
		}
		return target.Limiter(limiter), limiter, name, nil
	}
	// Every script is loaded before the first timed request, so that
	// none is an EVAL. When that fails (the connection went away), each
	// limiter loads its own on first use, and the run's requests count
	// what went wrong.
	s.preload = func(ctx context.Context) { _ = algorithms.Preload(ctx, t.Client) }
	if len(load.Faults) > 0 {
		s.deployment = t
	}
	s.cost = &costMeter{target: t, opts: algOpts, load: load}
	return s, nil
}

// OpenTarget is a session on any target, such as an HTTP API, held to the
// promise of the algorithm each run names (its Bound), or to none for a run
// whose algorithm is NoPromise. info is what the results file records;
// closeFn, when not nil, releases the target.
func OpenTarget(t target.Target, info report.Target, load *Load, closeFn func() error) *Session {
	if closeFn == nil {
		closeFn = func() error { return nil }
	}
	s := newSession(load, info, closeFn)
	s.tally = true
	s.build = func(r Run) (target.Target, algorithms.Promise, string, error) {
		if r.Algorithm == NoPromise {
			return t, nil, info.Kind, nil
		}
		// A limiter uses its client only to decide: this one never does.
		p, err := algorithms.New(r.Algorithm, nil, algorithms.Options{})
		if err != nil {
			return nil, nil, "", err
		}
		return t, p, info.Kind + ":" + r.Algorithm, nil
	}
	return s
}

// NoPromise is the algorithm of a run on a target held to no promise: its
// admissions are counted with no bound and no verdict.
const NoPromise = "none"

func newSession(load *Load, info report.Target, closeFn func() error) *Session {
	s := &Session{Info: info, load: load, seed: load.Seed, runID: load.RunID, close: closeFn, preload: func(context.Context) {}}
	if s.seed == 0 {
		s.seed = rand.Uint64()
	}
	if s.runID == "" {
		s.runID = fmt.Sprintf("%08x", rand.Uint32())
	}
	return s
}

// Close releases the target (and stops an embedded Redis).
func (s *Session) Close() error { return s.close() }

// Seed is the seed every run uses.
func (s *Session) Seed() uint64 { return s.seed }

// Watch is called before each run with the run and its engine Config,
// whose Observe it may set and whose Target it may wrap; the function it
// returns is called with the run's Result (zero if the run could not
// start) when the run is over. The progress bar and live metrics are two.
type Watch func(Run, *workload.Config) (done func(workload.Result))

// Execute runs runs in order, appending each to file, and stops early when
// ctx is cancelled: the results of what ran are returned, and file says it
// was interrupted. watch may be nil.
//
// When a run cannot go on (its target cannot be built, the engine fails,
// a deployment cannot be healed), the runs before it are in file, which
// then ends in error and says why: partial results, marked.
func (s *Session) Execute(ctx context.Context, runs []Run, file *report.File, watch Watch) ([]workload.Result, error) {
	results, err := s.execute(ctx, runs, file, watch)
	if err != nil && len(file.Runs) > 0 {
		file.EndedAt = time.Now().UTC()
		file.EndReason, file.Error = report.EndError, err.Error()
	}
	return results, err
}

func (s *Session) execute(ctx context.Context, runs []Run, file *report.File, watch Watch) ([]workload.Result, error) {
	var results []workload.Result
	file.Config.RunID = s.runID
	file.Config.Client = s.clients
	s.preload(ctx)
	if err := waitStart(ctx, s.load.StartAt); err != nil {
		return nil, err
	}
	s.startAt = s.load.StartAt
	for i, r := range runs {
		if ctx.Err() != nil {
			break // interrupted while waiting for StartAt
		}
		t, promise, name, err := s.build(r)
		if err != nil {
			return results, err
		}
		key := fmt.Sprintf("%s:%s:%s:%d", s.load.Key, r.Algorithm, s.runID, i)
		costed := func(context.Context, *report.Run) {}
		if s.cost != nil {
			costed = s.cost.start(ctx, r, key)
		}
		// Window-edge bursts are aligned to window boundaries from a start
		// a little ahead, so that the first pair is whole. The first run
		// starts at StartAt when given, where other generators start theirs.
		start := time.Now().Add(20 * time.Millisecond)
		if !s.startAt.IsZero() {
			start, s.startAt = s.startAt, time.Time{}
		}
		cfg, err := s.config(t, promise, name, key, r, start)
		if err != nil {
			return results, err
		}
		done := func(workload.Result) {}
		if watch != nil {
			done = watch(r, &cfg)
		}
		var said *saidTally
		if s.tally {
			said = watchSaid(&cfg, s.load.RunID != "")
		}
		var faults *faultRun
		if s.deployment != nil {
			faults = injectFaults(ctx, s.deployment, s.load.Faults, &cfg, faultKey(cfg, promise))
		}
		var masters *masterTally
		if s.cluster != nil {
			masters = watchMasters(&cfg, promise)
		}
		oracle, err := watchOracle(&cfg, s.load.Oracle)
		if err != nil {
			return results, err
		}
		res, err := workload.Run(ctx, cfg)
		done(res)
		replayErr := closeReplay(cfg)
		var events []report.Event
		var healErr error
		if faults != nil {
			events = faults.finish()
			healErr = s.deployment.Heal(ctx)
			// The next run starts with its scripts in place.
			s.preload(ctx)
		}
		if err != nil {
			return results, err
		}
		results = append(results, res)
		run := ReportRun(res, r, cfg, s.load.MissAfter)
		if said != nil {
			run.Said = said.summary()
		}
		run.Events = events
		run.Masters = masters.shares(context.WithoutCancel(ctx), s.cluster)
		if run.Oracle, err = oracle.report(); err != nil {
			return results, err
		}
		costed(ctx, &run)
		file.Runs = append(file.Runs, run)
		if healErr != nil {
			return results, healErr
		}
		if replayErr != nil {
			return results, replayErr
		}
		if ctx.Err() != nil {
			break
		}
	}
	file.EndedAt = time.Now().UTC()
	if ctx.Err() != nil {
		file.EndReason = report.EndInterrupted
	}
	return results, nil
}

// closeReplay closes the stream of cfg's replay, if it has one, and
// returns what stopped it early: a trace file that changed since it was
// checked.
func closeReplay(cfg workload.Config) error {
	if cfg.Replay == nil {
		return nil
	}
	cfg.Replay.Close()
	return cfg.Replay.Err()
}

// config is one run's engine Config, its schedule from start.
func (s *Session) config(t target.Target, promise algorithms.Promise, name, key string, r Run, start time.Time) (workload.Config, error) {
	l := s.load
	pacer, err := l.Pacer(r.Workload, r.Limit, start, s.seed)
	if err != nil {
		return workload.Config{}, err
	}
	keys, err := l.KeyChooser(s.seed)
	if err != nil {
		return workload.Config{}, err
	}
	replay, err := l.Stream(r.Workload, s.seed, max(l.MaxInflight, 1))
	if err != nil {
		return workload.Config{}, err
	}
	nKeys := l.Keys
	if replay != nil {
		pacer, keys, nKeys = nil, nil, replay.N()
	}
	cfg := workload.Config{
		Target:      t,
		Promise:     promise,
		Name:        name,
		Limit:       r.Limit,
		Key:         key,
		Keys:        keys,
		Pacer:       pacer,
		Replay:      replay,
		Concurrency: l.Concurrency,
		Pipeline:    pipelineOf(r.Workload, l.Pipeline),
		MaxInflight: l.MaxInflight,
		Requests:    l.Requests,
		Duration:    l.Duration,
		Timeout:     l.Timeout,
		Interval:    l.Interval,
		MissAfter:   l.MissAfter,
		SpinWait:    l.SpinWait,
		Spin:        l.Spin,
		Start:       start,

		HonorRetryAfter:  l.HonorRetryAfter,
		ForgetAdmissions: l.ForgetAdmissions,
	}
	if len(l.Tiers) > 0 {
		cfg.Tiers = l.Tiers
		if cfg.TierOf, err = workload.AssignTiers(l.Tiers, nKeys); err != nil {
			replay.Close()
			return workload.Config{}, err
		}
	}
	return cfg, nil
}

// Failures is nil when no request of results failed, else one line that
// counts the failures of each run by class and shows the first error.
func Failures(results []workload.Result) error {
	var parts []string
	var first error
	for _, r := range results {
		// An unknown outcome failed too: its answer never came.
		if r.Errors+r.Unknown == 0 {
			continue
		}
		var classes []string
		for _, class := range failureClasses(r) {
			if n := r.ErrorsByClass[class] + r.UnknownByClass[class]; n > 0 {
				classes = append(classes, fmt.Sprintf("%s %d", class, n))
			}
		}
		parts = append(parts, fmt.Sprintf("%s %d of %d (%s)", r.Algorithm, r.Errors+r.Unknown, r.Sent, strings.Join(classes, ", ")))
		if first == nil {
			first = r.FirstError
		}
	}
	if len(parts) == 0 {
		return nil
	}
	return fmt.Errorf("requests failed: %s; first error: %w", strings.Join(parts, "; "), first)
}

// failureClasses are the classes of r's errors and unknown outcomes: the
// shared ones in target.ErrorClasses' order, then any a target added (an
// HTTP API's http-5xx), by name.
func failureClasses(r workload.Result) []string {
	classes := target.ErrorClasses()
	var more []string
	for _, m := range []map[string]int64{r.ErrorsByClass, r.UnknownByClass} {
		for class := range m {
			if !slices.Contains(classes, class) && !slices.Contains(more, class) {
				more = append(more, class)
			}
		}
	}
	slices.Sort(more)
	return append(classes, more...)
}

// clientName is the name of run r's limiter l in tables and results: the
// algorithm's, after the client's when the runs go through several, so
// that one table shows what each client costs each limiter.
func clientName(load *Load, r Run, l algorithms.Limiter) string {
	if len(load.Clients) > 1 {
		return r.Client + ":" + l.Name()
	}
	return l.Name()
}
