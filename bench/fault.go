package bench

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/report"
	"github.com/rlbench/rlbench/target"
	"github.com/rlbench/rlbench/workload"
)

// Fault is one fault injected At into every run; a pause lasts For.
type Fault struct {
	Kind string
	At   time.Duration
	For  time.Duration
}

// String is the fault as --fault takes it: "restart@2s", "pause:500ms@1s".
func (f Fault) String() string {
	if f.For > 0 {
		return fmt.Sprintf("%s:%v@%v", f.Kind, f.For, f.At)
	}
	return fmt.Sprintf("%s@%v", f.Kind, f.At)
}

// FaultKinds are the faults --fault names; which a deployment can take is
// its own to say.
var FaultKinds = []string{"pause", "script-flush", "restart", "kill-master", "failover"}

// defaultPause is how long a pause with no duration lasts.
const defaultPause = time.Second

// ParseFault reads KIND@AT or, for a pause, pause[:FOR]@AT.
func ParseFault(s string) (Fault, error) {
	const want = "want KIND@AT, as in restart@2s or pause:500ms@1s, with KIND one of "
	spec, at, ok := strings.Cut(s, "@")
	if !ok {
		return Fault{}, fmt.Errorf("no @AT; %s%s", want, strings.Join(FaultKinds, ", "))
	}
	kind, dur, hasFor := strings.Cut(spec, ":")
	if !slices.Contains(FaultKinds, kind) {
		return Fault{}, fmt.Errorf("unknown kind %q; %s%s", kind, want, strings.Join(FaultKinds, ", "))
	}
	f := Fault{Kind: kind}
	var err error
	if f.At, err = faultDuration(at); err != nil {
		return Fault{}, fmt.Errorf("time %q into the run: %v", at, err)
	}
	switch {
	case hasFor && kind != "pause":
		return Fault{}, errors.New("only a pause takes a duration, as in pause:500ms@1s")
	case hasFor:
		if f.For, err = faultDuration(dur); err != nil || f.For == 0 {
			if err == nil {
				err = errors.New("want more than 0")
			}
			return Fault{}, fmt.Errorf("pause %q: %v", dur, err)
		}
	case kind == "pause":
		f.For = defaultPause
	}
	return f, nil
}

// maxFaultTime bounds the times a fault takes: a year is more than any
// run lasts.
const maxFaultTime = 8784 * time.Hour

// DurationSyntax is what time.ParseDuration reads, such as 1h30m or
// 1.5s: a value of that form that it refuses is too large.
var DurationSyntax = regexp.MustCompile(`^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h)(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))*$`)

func faultDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	switch {
	case err != nil && DurationSyntax.MatchString(s):
		return 0, fmt.Errorf("out of range, want at most %v", maxFaultTime)
	case err != nil:
		return 0, errors.New("want a duration such as 1.5s or 200ms")
	case d < 0:
		return 0, errors.New("negative, want 0 or more")
	case d > maxFaultTime:
		return 0, fmt.Errorf("out of range, want at most %v", maxFaultTime)
	}
	return d, nil
}

// Deployment is a target that takes faults: one rlbench started.
type Deployment interface {
	// CheckFault says whether the deployment can take a fault of kind.
	CheckFault(kind string) error
	// Inject causes the fault and says what it did, once it is in place;
	// a fault of one server hits the one that serves key.
	Inject(ctx context.Context, kind string, d time.Duration, key string) (string, error)
	// Heal brings the deployment back to health between runs.
	Heal(ctx context.Context) error
}

// faultRun injects a run's faults on time and attributes to each the
// requests that ended from its injection to the next one.
type faultRun struct {
	start time.Time
	ended time.Time // when finish was called (under mu)
	stop  context.CancelFunc
	done  chan struct{}

	mu     sync.Mutex
	events []report.Event
	times  []time.Time // when each event was injected
	last   []eventEnds
}

// eventEnds are the ends of an event's last failed and last decided
// request.
type eventEnds struct{ failed, decided time.Time }

// injectFaults starts injecting faults, in the order of their times, into
// d from cfg.Start on, and hooks the attribution to cfg.Observe. A fault of
// one server hits the one that serves key.
//
// A fault being injected when the run ends is seen through under ctx (a
// failover waits for the sentinels or the cluster to agree, which can
// outlast a short run): cut off, its event would say it failed when it
// only had not finished, and the deployment would be left halfway.
func injectFaults(ctx context.Context, d Deployment, faults []Fault, cfg *workload.Config, key string) *faultRun {
	due, cancel := context.WithCancel(ctx)
	fr := &faultRun{start: cfg.Start, stop: cancel, done: make(chan struct{})}
	next := cfg.Observe
	cfg.Observe = func(s workload.Sample) {
		fr.observe(s)
		if next != nil {
			next(s)
		}
	}
	order := slices.Clone(faults)
	slices.SortStableFunc(order, func(a, b Fault) int { return int(a.At - b.At) })
	go func() {
		defer close(fr.done)
		for i, f := range order {
			timer := time.NewTimer(time.Until(fr.start.Add(f.At)))
			select {
			case <-due.Done():
			case <-timer.C:
			}
			timer.Stop()
			// A fault that fell due while the one before it was being
			// injected past the run's end is not injected either.
			if due.Err() != nil {
				fr.mu.Lock()
				ended := fr.ended
				fr.mu.Unlock()
				if ended.IsZero() { // interrupted: the run is ending now
					ended = time.Now()
				}
				for _, f := range order[i:] {
					why := "the run ended before its time"
					if i > 0 && f.At < ended.Sub(fr.start) {
						why = "the run ended while the fault before it was being injected"
					}
					fr.record(report.Event{AtUS: f.At.Microseconds(), Kind: f.Kind, Error: why}, time.Time{})
				}
				return
			}
			// The event is in place before the fault, so that what fails
			// while it is being injected is its.
			began := time.Now()
			i := fr.record(report.Event{AtUS: began.Sub(fr.start).Microseconds(), Kind: f.Kind}, began)
			detail, err := d.Inject(ctx, f.Kind, f.For, key)
			fr.mu.Lock()
			e := &fr.events[i]
			e.TookUS, e.Detail = time.Since(began).Microseconds(), detail
			if err != nil {
				e.Error = err.Error()
			}
			fr.mu.Unlock()
		}
	}()
	return fr
}

// record adds an event injected at at (zero: never) and returns its index.
func (fr *faultRun) record(e report.Event, at time.Time) int {
	fr.mu.Lock()
	defer fr.mu.Unlock()
	fr.events = append(fr.events, e)
	fr.times = append(fr.times, at)
	fr.last = append(fr.last, eventEnds{})
	return len(fr.events) - 1
}

// observe counts s against the latest event injected before it ended.
func (fr *faultRun) observe(s workload.Sample) {
	fr.mu.Lock()
	defer fr.mu.Unlock()
	i := len(fr.times) - 1
	for i >= 0 && (fr.times[i].IsZero() || s.Done.Before(fr.times[i])) {
		i--
	}
	if i < 0 {
		return
	}
	e, ends := &fr.events[i], &fr.last[i]
	switch o := s.Outcome; o.Kind {
	case target.Accepted:
		e.Accepted++
	case target.Rejected:
		e.Rejected++
	case target.Unknown, target.Failed:
		if o.Kind == target.Unknown {
			e.Unknown++
		} else {
			e.Errors++
		}
		if e.ByClass == nil {
			e.ByClass = make(map[string]int64)
		}
		e.ByClass[o.Class]++
		if s.Done.After(ends.failed) {
			ends.failed = s.Done
		}
		return
	}
	if s.Done.After(ends.decided) {
		ends.decided = s.Done
	}
}

// finish stops injecting (a fault not yet due is recorded as not
// injected), waits for the one being injected, and returns the events
// with their outages.
func (fr *faultRun) finish() []report.Event {
	fr.mu.Lock()
	fr.ended = time.Now()
	fr.mu.Unlock()
	fr.stop()
	<-fr.done
	fr.mu.Lock()
	defer fr.mu.Unlock()
	for i := range fr.events {
		e, ends := &fr.events[i], fr.last[i]
		if ends.failed.IsZero() {
			e.Recovered = e.Error == ""
			continue
		}
		e.OutageUS = max(0, ends.failed.Sub(fr.times[i]).Microseconds())
		e.Recovered = ends.decided.After(ends.failed)
	}
	return fr.events
}

// faultKey names the Redis key of the run's first user key (the hottest
// under zipf; a trace's first), whose server a fault of one server hits.
func faultKey(cfg workload.Config, promise algorithms.Promise) string {
	key := cfg.KeyName(0)
	if keyer, ok := promise.(algorithms.StateKeyer); ok {
		return keyer.StateKey(key)
	}
	return key
}
