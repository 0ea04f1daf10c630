// Package metrics exposes what rlbench decides, live, in the Prometheus
// format: the decisions of runs and of serve, their latency, errors by
// class, requests in flight, schedule lag and over-admission.
package metrics

import (
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rlbench/rlbench/target"
)

// The names of every metric rlbench exports.
const (
	Decisions    = "rlbench_decisions_total"
	Latency      = "rlbench_decision_seconds"
	Errors       = "rlbench_errors_total"
	InFlight     = "rlbench_requests_in_flight"
	ScheduleLag  = "rlbench_schedule_lag_seconds"
	OverAdmitted = "rlbench_over_admitted"
)

// Names lists every metric rlbench exports, as a query names it: a
// histogram's series are its name with _bucket, _sum and _count.
func Names() []string {
	return []string{Decisions, Latency, Errors, InFlight, ScheduleLag, OverAdmitted}
}

// buckets run from 50µs to about 10s, doubling: a Redis round trip on
// loopback is in the first few, a stalled one in the last.
var buckets = prometheus.ExponentialBucketsRange(50e-6, 10, 18)

// Metrics is a registry of rlbench's collectors, its own rather than the
// global one, so that two in one process (tests) do not collide. Its
// methods are safe for concurrent use.
type Metrics struct {
	reg          *prometheus.Registry
	decisions    *prometheus.CounterVec
	latency      *prometheus.HistogramVec
	errors       *prometheus.CounterVec
	inFlight     *prometheus.GaugeVec
	lag          *prometheus.HistogramVec
	overAdmitted *prometheus.GaugeVec
}

// New returns a registry holding every collector, at zero.
func New() *Metrics {
	by := []string{"target", "algorithm"}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: Decisions,
			Help: "Requests answered, by outcome: accepted, rejected, unknown (no answer; may have been admitted) or failed.",
		}, []string{"target", "algorithm", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    Latency,
			Help:    "Time from sending a request to its decision (accepted or rejected), in seconds.",
			Buckets: buckets,
		}, by),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: Errors,
			Help: "Requests that got no decision (unknown or failed), by class: timeout, connection, script, other, or a target's own.",
		}, []string{"target", "algorithm", "class"}),
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: InFlight,
			Help: "Requests sent and not yet answered.",
		}, by),
		lag: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    ScheduleLag,
			Help:    "How late after its slot in the schedule each request was sent, in seconds (0 in the closed model).",
			Buckets: buckets,
		}, by),
		overAdmitted: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: OverAdmitted,
			Help: "Admissions past the bound, summed over keys, of the last run that ended (set when a run ends).",
		}, by),
	}
	m.reg.MustRegister(m.decisions, m.latency, m.errors, m.inFlight, m.lag, m.overAdmitted)
	return m
}

// Registry is where the collectors are registered, for a test to gather.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics at a scrape.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Series is the collectors of one target and algorithm, their label values
// resolved once, so that counting a request allocates nothing.
type Series struct {
	m                *Metrics
	targetName, algo string
	outcomes         [target.Failed + 1]prometheus.Counter
	latency, lag     prometheus.Observer
	inFlight         prometheus.Gauge
	classes          []string
	errors           []prometheus.Counter
	otherErrors      sync.Map // class → prometheus.Counter, for a target's own classes
}

// Series resolves the collectors of targetName (what decides: redis,
// miniredis, http) and algorithm; every outcome and the shared error
// classes show at zero from then on. Over-admission shows only once a run
// has ended (Done): serve, which counts none, never claims 0.
func (m *Metrics) Series(targetName, algorithm string) *Series {
	s := &Series{
		m: m, targetName: targetName, algo: algorithm,
		latency:  m.latency.WithLabelValues(targetName, algorithm),
		lag:      m.lag.WithLabelValues(targetName, algorithm),
		inFlight: m.inFlight.WithLabelValues(targetName, algorithm),
		classes:  target.ErrorClasses(),
	}
	for k := target.Accepted; k <= target.Failed; k++ {
		s.outcomes[k] = m.decisions.WithLabelValues(targetName, algorithm, k.String())
	}
	for _, class := range s.classes {
		s.errors = append(s.errors, m.errors.WithLabelValues(targetName, algorithm, class))
	}
	return s
}

// outcome counts one answer: a decision's latency, or an error's class.
func (s *Series) outcome(o target.Outcome, seconds float64) {
	if o.Kind < target.Accepted || o.Kind > target.Failed {
		return
	}
	s.outcomes[o.Kind].Inc()
	switch o.Kind {
	case target.Accepted, target.Rejected:
		s.latency.Observe(seconds)
	default:
		s.errorOf(o.Class).Inc()
	}
}

func (s *Series) errorOf(class string) prometheus.Counter {
	for i, c := range s.classes {
		if c == class {
			return s.errors[i]
		}
	}
	if c, ok := s.otherErrors.Load(class); ok {
		return c.(prometheus.Counter)
	}
	c, _ := s.otherErrors.LoadOrStore(class, s.m.errors.WithLabelValues(s.targetName, s.algo, class))
	return c.(prometheus.Counter)
}
