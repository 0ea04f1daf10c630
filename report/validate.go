package report

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// ErrInvalid means a results file decodes but holds what rlbench never
// writes: a negative count, figures that contradict each other, a
// histogram or admission list that does not decode, one run twice. The
// error wrapping it is a *FieldError.
var ErrInvalid = errors.New("invalid results file")

// FieldError is the first value of a results file that cannot be right.
// Its text is one line naming the file, the value's path by JSON names and
// what is accepted:
//
//	results.json: runs[3].counts.accepted: -5, want 0 or more
type FieldError struct {
	// File is the file's name; empty for one read from a stream.
	File string
	// Field is the value's path: runs[3].counts.accepted.
	Field string
	// Problem is the value and what is accepted: "-5, want 0 or more".
	Problem string
}

func (e *FieldError) Error() string {
	file := e.File
	if file == "" {
		file = "results file"
	}
	return file + ": " + e.Field + ": " + e.Problem
}

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// Validate checks that f is a results file rlbench could have written,
// and returns a *FieldError for the first value, in file order, that is
// not. It never refuses a file that rlbench writes (run, bench, merge), nor
// one from an earlier rlbench of the same schema version: figures added
// since, such as the _at_most ones, may be 0 where they were absent.
//
// Validate checks the signs and ranges of every count, rate, latency,
// bound and time; that counts add up (sent is accepted + rejected +
// unknown + errors, each class list sums to its count); that percentiles
// rise with their rank; that accuracy figures agree (an at-most figure is
// at least its figure, no more keys over their bound than admissions over
// it, no more over-admitted than the busiest key admitted); that
// histograms and admission instants decode and hold no more than the run
// counted; and that no run appears twice.
func (f *File) Validate() error {
	var c checker
	c.file(f)
	if c.err != nil {
		return c.err
	}
	return nil
}

// checker keeps the first problem found; later checks still run but
// leave it alone, so that each check can be written without guarding
// against the ones before.
type checker struct{ err *FieldError }

func (c *checker) fail(field, format string, args ...any) {
	if c.err == nil {
		c.err = &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)}
	}
}

// count checks a whole number that cannot be negative.
func (c *checker) count(field string, v int64) {
	if v < 0 {
		c.fail(field, "%d, want 0 or more", v)
	}
}

// bound checks a promised bound: -1 stands for none.
func (c *checker) bound(field string, v int64) {
	if v < -1 {
		c.fail(field, "%d, want -1 (no bound) or more", v)
	}
}

// real checks a measured figure: finite and not negative. JSON cannot
// hold NaN or infinities, but a File built in memory can.
func (c *checker) real(field string, v float64) {
	if !(v >= 0) || math.IsInf(v, 0) {
		c.fail(field, "%s, want a finite number, 0 or more", formatReal(v))
	}
}

// atMost checks that v, named field, is at most limit, named limitName.
func (c *checker) atMost(field string, v int64, limitName string, limit int64) {
	if v > limit {
		c.fail(field, "%d, want at most %s (%d)", v, limitName, limit)
	}
}

// orAbsent checks an upper figure that earlier files did not have: 0, or
// at least the figure it bounds.
func (c *checker) orAbsent(field string, v int64, lowerName string, lower int64) {
	if v != 0 && v < lower {
		c.fail(field, "%d, want 0 (absent) or at least %s (%d)", v, lowerName, lower)
	}
}

// child is the path of key in the object at path: path.key, or
// path["key"] for a key that is not a plain name.
func child(path, key string) string {
	if isName(key) {
		return path + "." + key
	}
	return path + "[" + strconv.Quote(key) + "]"
}

// isName reports whether a JSON key can follow a dot in a path.
func isName(key string) bool {
	if key == "" {
		return false
	}
	for _, r := range key {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func formatReal(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// sum adds vs, reporting false when the sum overflows int64.
func sum(vs ...int64) (int64, bool) {
	var total int64
	for _, v := range vs {
		next := total + v
		if (v > 0 && next < total) || (v < 0 && next > total) {
			return 0, false
		}
		total = next
	}
	return total, true
}

// mulSat is a×b for a, b ≥ 0, saturating at MaxInt64.
func mulSat(a, b int64) int64 {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi != 0 || lo > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(lo)
}

func (c *checker) file(f *File) {
	c.count("host.cpus", int64(f.Host.CPUs))
	if f.Target.Cluster != nil {
		c.topology("target.cluster", f.Target.Cluster)
	}
	c.config(&f.Config)
	c.generators(f)
	if f.StartedAt.IsZero() {
		c.fail("started_at", "missing, want the RFC 3339 time the run started")
	}
	switch {
	case f.EndedAt.IsZero():
		c.fail("ended_at", "missing, want the RFC 3339 time the run ended")
	case f.EndedAt.Before(f.StartedAt):
		c.fail("ended_at", "%s, want started_at (%s) or later", f.EndedAt.Format(time.RFC3339Nano), f.StartedAt.Format(time.RFC3339Nano))
	}
	switch f.EndReason {
	case EndCompleted, EndInterrupted, EndError:
	default:
		c.fail("end_reason", "%q, want %s, %s or %s", f.EndReason, EndCompleted, EndInterrupted, EndError)
	}
	if len(f.Runs) == 0 && f.EndReason == EndCompleted {
		c.fail("runs", "none in a completed file, want at least one run")
	}
	seen := map[runID]int{}
	for i := range f.Runs {
		r := &f.Runs[i]
		path := fmt.Sprintf("runs[%d]", i)
		c.run(path, r)
		id := runID{key: RunKey(*r), repeat: r.Repeat}
		if j, dup := seen[id]; dup {
			name := strconv.Quote(id.key)
			if id.repeat != 0 {
				name += fmt.Sprintf(" repeat %d", id.repeat)
			}
			c.fail(path, "%s is runs[%d] again, want each run once", name, j)
		}
		seen[id] = i
	}
}

func (c *checker) config(cfg *Config) {
	for _, v := range []struct {
		name string
		v    int64
	}{
		{"count", int64(cfg.Count)}, {"requests", cfg.Requests}, {"duration_us", cfg.DurationUS},
		{"burst_size", cfg.BurstSize}, {"burst_every_us", cfg.BurstEveryUS}, {"edge_offset_us", cfg.EdgeOffsetUS},
		{"concurrency", int64(cfg.Concurrency)}, {"max_inflight", int64(cfg.MaxInflight)},
		{"miss_after_us", cfg.MissAfterUS}, {"timeout_us", cfg.TimeoutUS}, {"interval_us", cfg.IntervalUS},
		{"keys", int64(cfg.Keys)}, {"clock_skew_allowance_us", cfg.ClockSkewAllowanceUS},
		{"clock_skew_us", cfg.ClockSkewUS}, {"clock_groups", int64(cfg.ClockGroups)}, {"clock_block", cfg.ClockBlock},
	} {
		c.count("config."+v.name, v.v)
	}
	c.real("config.rate", cfg.Rate)
	c.real("config.rate_start", cfg.RateStart)
	c.real("config.zipf_s", cfg.ZipfS)
	c.limit("config.limit", cfg.Limit)
	for i, t := range cfg.Tiers {
		path := fmt.Sprintf("config.tiers[%d]", i)
		c.limit(path+".limit", t.Limit)
		c.real(path+".share", t.Share)
	}
	if cfg.Client != "" {
		names := strings.Split(cfg.Client, ",")
		for i, name := range names {
			switch {
			case !slices.Contains(Clients, name):
				c.fail("config.client", "%q, want %s, or several of them comma-separated", cfg.Client, strings.Join(Clients, ", "))
				return
			case slices.Index(names, name) < i:
				c.fail("config.client", "%q names %s twice, want each client once", cfg.Client, name)
				return
			}
		}
	}
}

// Clients are the Redis clients rlbench decides through, as config.client
// names them.
var Clients = []string{"go-redis", "rueidis"}

// generators checks the generator ids: a named generator's id is its
// name, and a merged file lists each generator once.
func (c *checker) generators(f *File) {
	if id := f.Config.GeneratorID; id != "" && id != f.GeneratorID {
		c.fail("config.generator_id", "%q, want generator_id (%q): a named generator's id is its name", id, f.GeneratorID)
	}
	for i, id := range f.GeneratorIDs {
		path := fmt.Sprintf("generator_ids[%d]", i)
		if id == "" {
			c.fail(path, "empty, want a generator's id")
		}
		if j := slices.Index(f.GeneratorIDs, id); j < i {
			c.fail(path, "%q is generator_ids[%d] again, want each generator once", id, j)
		}
	}
}

// limit checks a limit: no negative part, and a window for any requests.
// The zero limit stands for none (the baseline).
func (c *checker) limit(path string, l Limit) {
	c.count(path+".requests", l.Requests)
	c.count(path+".window_us", l.WindowUS)
	c.count(path+".burst", l.Burst)
	if l.Requests > 0 && l.WindowUS == 0 {
		c.fail(path+".window_us", "0, want a window for %d requests", l.Requests)
	}
}

func (c *checker) run(path string, r *Run) {
	if r.Algorithm == "" {
		c.fail(path+".algorithm", "empty, want the algorithm's name")
	}
	if r.Workload == "" {
		c.fail(path+".workload", "empty, want the workload's name")
	}
	c.limit(path+".limit", r.Limit)
	c.counts(path+".counts", &r.Counts)
	c.rates(path+".rates", &r.Rates)
	c.latency(path+".latency", r)
	c.accuracy(path+".accuracy", &r.Accuracy)
	c.generator(path+".generator", &r.Generator, r.Counts.Missed)
	c.timeseries(path+".timeseries", &r.Timeseries, &r.Counts)
	c.count(path+".elapsed_us", r.ElapsedUS)
	switch r.EndReason {
	case EndCompleted, EndInterrupted, EndError:
	default:
		c.fail(path+".end_reason", "%q, want %s, %s or %s", r.EndReason, EndCompleted, EndInterrupted, EndError)
	}
	c.count(path+".repeat", int64(r.Repeat))
	c.count(path+".clock_skew_us", r.ClockSkewUS)
	c.count(path+".generators", int64(r.Generators))
	if r.Admissions != nil {
		c.admissions(path+".admissions", r.Admissions, &r.Accuracy)
	}
	if r.Said != nil {
		c.said(path+".said", r.Said, r.Counts.Rejected)
	}
	for i, e := range r.Events {
		c.event(fmt.Sprintf("%s.events[%d]", path, i), &e)
	}
	if r.Masters != nil {
		c.masters(path+".masters", r.Masters, &r.Counts)
	}
	if r.RedisCost != nil {
		if r.RedisCostUnavailable != "" {
			c.fail(path+".redis_cost_unavailable", "%q beside redis_cost, want one or the other", r.RedisCostUnavailable)
		}
		c.redisCost(path+".redis_cost", r.RedisCost)
	}
	if r.Oracle != nil {
		if r.OracleUnavailable != "" {
			c.fail(path+".oracle_unavailable", "%q beside oracle, want one or the other", r.OracleUnavailable)
		}
		c.oracle(path+".oracle", r.Oracle, &r.Counts)
	}
}

// event checks one fault's figures: counts, and times within reason.
func (c *checker) event(path string, e *Event) {
	for _, v := range []struct {
		name string
		v    int64
	}{{"at_us", e.AtUS}, {"took_us", e.TookUS}, {"accepted", e.Accepted}, {"rejected", e.Rejected},
		{"errors", e.Errors}, {"unknown", e.Unknown}, {"outage_us", e.OutageUS}} {
		c.count(path+"."+v.name, v.v)
	}
	if e.Kind == "" {
		c.fail(path+".kind", "empty, want the fault's kind")
	}
	for class, n := range e.ByClass {
		c.count(path+".by_class."+class, n)
	}
}

// redisCost checks a run's cost on Redis: counts not negative, the
// commands adding up, the keys' figures no more than the keys.
func (c *checker) redisCost(path string, rc *RedisCost) {
	if rc.Masters < 1 {
		c.fail(path+".masters", "%d, want 1 or more", rc.Masters)
	}
	for _, name := range sortedKeys(rc.CommandsByName) {
		c.count(child(path+".commands_by_name", name), rc.CommandsByName[name])
	}
	for _, v := range []struct {
		name string
		v    int64
	}{
		{"commands", rc.Commands}, {"script_calls", rc.ScriptCalls}, {"script_commands", rc.ScriptCommands},
		{"cpu_us", rc.CPUUS}, {"keys", rc.Keys}, {"keys_without_ttl", rc.KeysWithoutTTL},
		{"keys_past_ttl", rc.KeysPastTTL}, {"longest_ttl_us", rc.LongestTTLUS},
		{"memory_usage_sampled", rc.MemoryUsageSampled}, {"members", rc.Members},
	} {
		c.count(path+"."+v.name, v.v)
	}
	if total, ok := sum(slices.Collect(maps.Values(rc.CommandsByName))...); !ok || total != rc.Commands {
		c.fail(path+".commands", "%d, want the sum of commands_by_name (%s)", rc.Commands, formatSum(total, ok))
	}
	if total, ok := sum(rc.ScriptCalls, rc.ScriptCommands); !ok || total > rc.Commands {
		c.fail(path+".script_commands", "%d, want at most commands less script_calls (%d)", rc.ScriptCommands, rc.Commands-rc.ScriptCalls)
	}
	if total, ok := sum(rc.KeysWithoutTTL, rc.KeysPastTTL); !ok || total > rc.Keys {
		c.fail(path+".keys_past_ttl", "%d, want at most keys less keys_without_ttl (%d)", rc.KeysPastTTL, rc.Keys-rc.KeysWithoutTTL)
	}
	c.atMost(path+".memory_usage_sampled", rc.MemoryUsageSampled, "keys", rc.Keys)
	for _, v := range []struct {
		name string
		v    float64
	}{
		{"commands_per_decision", rc.CommandsPerDecision}, {"script_commands_per_decision", rc.ScriptCommandsPerDecision},
		{"cpu_us_per_decision", rc.CPUUSPerDecision}, {"memory_per_key", rc.MemoryPerKey},
		{"memory_usage_per_key", rc.MemoryUsagePerKey}, {"memory_per_member", rc.MemoryPerMember},
	} {
		c.real(path+"."+v.name, v.v)
	}
}

// said checks what a target said: counts of what the run saw.
func (c *checker) said(path string, s *Said, rejected int64) {
	for _, v := range []struct {
		name string
		v    int64
	}{{"rejected", s.Rejected}, {"rejected_without_retry", s.RejectedWithoutRetry}, {"retried_rejected", s.RetriedRejected},
		{"declared_quota", s.DeclaredQuota},
		{"declared_window_us", s.DeclaredWindowUS}, {"quota_changes", s.QuotaChanges},
		{"remaining_checked", s.RemainingChecked}, {"remaining_rose", s.RemainingRose},
		{"remaining_disagreed", s.RemainingDisagreed}} {
		c.count(path+"."+v.name, v.v)
	}
	c.atMost(path+".rejected", s.Rejected, "counts.rejected", rejected)
	c.atMost(path+".rejected_without_retry", s.RejectedWithoutRetry, "rejected", s.Rejected)
	c.atMost(path+".retried_rejected", s.RetriedRejected, "rejected", s.Rejected)
	c.atMost(path+".remaining_rose", s.RemainingRose, "remaining_checked", s.RemainingChecked)
	c.atMost(path+".remaining_disagreed", s.RemainingDisagreed, "remaining_checked", s.RemainingChecked)
}

func (c *checker) counts(path string, n *Counts) {
	for _, v := range []struct {
		name string
		v    int64
	}{
		{"sent", n.Sent}, {"accepted", n.Accepted}, {"rejected", n.Rejected},
		{"unknown", n.Unknown}, {"errors", n.Errors}, {"missed", n.Missed},
		{"waited", n.Waited}, {"waited_us", n.WaitedUS},
	} {
		c.count(path+"."+v.name, v.v)
	}
	for _, v := range []struct {
		name string
		v    int64
	}{
		{"accepted", n.Accepted}, {"rejected", n.Rejected}, {"unknown", n.Unknown},
		{"errors", n.Errors}, {"missed", n.Missed}, {"waited", n.Waited},
	} {
		c.atMost(path+"."+v.name, v.v, "sent", n.Sent)
	}
	if total, ok := sum(n.Accepted, n.Rejected, n.Unknown, n.Errors); !ok || total != n.Sent {
		c.fail(path+".sent", "%d, want accepted + rejected + unknown + errors (%d + %d + %d + %d)",
			n.Sent, n.Accepted, n.Rejected, n.Unknown, n.Errors)
	}
	c.classes(path+".errors_by_class", n.ErrorsByClass, "errors", n.Errors)
	c.classes(path+".unknown_by_class", n.UnknownByClass, "unknown", n.Unknown)
}

// classes checks a split of a count by class: each part 0 or more, all
// adding up to the count.
func (c *checker) classes(path string, byClass map[string]int64, name string, want int64) {
	var total int64
	ok := true
	for _, class := range sortedKeys(byClass) {
		v := byClass[class]
		c.count(child(path, class), v)
		total, ok = sum(total, v)
		if !ok {
			break
		}
	}
	if !ok || total != want {
		c.fail(path, "adds up to %s, want %s (%d)", formatSum(total, ok), name, want)
	}
}

func formatSum(total int64, ok bool) string {
	if !ok {
		return "more than " + strconv.FormatInt(math.MaxInt64, 10)
	}
	return strconv.FormatInt(total, 10)
}

func sortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (c *checker) rates(path string, r *Rates) {
	c.real(path+".offered_per_s", r.OfferedPerS)
	c.real(path+".achieved_per_s", r.AchievedPerS)
	c.real(path+".accepted_per_s", r.AcceptedPerS)
	// Both divide by the same elapsed time, and accepted requests are
	// decisions.
	if r.AcceptedPerS > r.AchievedPerS {
		c.fail(path+".accepted_per_s", "%s, want at most achieved_per_s (%s)", formatReal(r.AcceptedPerS), formatReal(r.AchievedPerS))
	}
}

func (c *checker) latency(path string, r *Run) {
	l := &r.Latency
	c.percentiles(path+".response_us", l.ResponseUS)
	c.percentiles(path+".service_us", l.ServiceUS)
	c.count(path+".over_range", l.OverRange)
	decisions := r.Counts.Accepted + r.Counts.Rejected // no overflow: both are at most sent
	c.atMost(path+".over_range", l.OverRange, "accepted + rejected", decisions)
	if l.Histogram == "" && r.Counts.Sent > 0 {
		c.fail(path+".histogram", "missing, want the encoded HdrHistogram of a run that sent %d requests", r.Counts.Sent)
	}
	c.histogram(path+".histogram", l.Histogram, l.OverRange, decisions)
	c.histogram(path+".service_histogram", l.ServiceHistogram, 0, decisions)
}

// percentiles checks one latency summary: no negative value, and each
// percentile at least the one of lower rank.
func (c *checker) percentiles(path string, p Percentiles) {
	c.real(path+".mean", p.Mean)
	ranked := []struct {
		name string
		v    float64
	}{{"p50", p.P50}, {"p90", p.P90}, {"p99", p.P99}, {"p999", p.P999}, {"max", p.Max}}
	for i, q := range ranked {
		c.real(path+"."+q.name, q.v)
		if i > 0 && q.v < ranked[i-1].v {
			c.fail(path+"."+q.name, "%s, want at least %s (%s)", formatReal(q.v), ranked[i-1].name, formatReal(ranked[i-1].v))
		}
	}
}

// histogram checks an encoded HdrHistogram, when there is one: it decodes
// and holds no more samples than the run had decisions (those above its
// range, overRange, are counted apart).
func (c *checker) histogram(path, encoded string, overRange, decisions int64) {
	if encoded == "" {
		return
	}
	h, err := hdrhistogram.Decode([]byte(encoded))
	if err != nil {
		c.fail(path, "does not decode (%v), want an encoded HdrHistogram", err)
		return
	}
	samples, ok := sum(h.TotalCount(), overRange)
	if h.TotalCount() < 0 || !ok || samples > decisions {
		c.fail(path, "holds %d samples, want at most accepted + rejected - over_range (%d)", h.TotalCount(), decisions-overRange)
	}
}

func (c *checker) accuracy(path string, a *Accuracy) {
	for _, v := range []struct {
		name string
		v    int64
	}{
		{"max_admitted_in_window", a.MaxAdmittedInWindow}, {"max_admitted_in_window_at_most", a.MaxAdmittedInWindowAtMost},
		{"max_admitted_in_burst", a.MaxAdmittedInBurst}, {"burst_span_us", a.BurstSpanUS},
		{"max_admitted_in_aligned_window", a.MaxAdmittedInAlignedWindow},
		{"over_admitted", a.OverAdmitted}, {"over_admitted_at_most", a.OverAdmittedAtMost},
		{"keys_over_bound", a.KeysOverBound}, {"keys_maybe_over_bound", a.KeysMaybeOverBound}, {"keys", a.Keys},
	} {
		c.count(path+"."+v.name, v.v)
	}
	c.bound(path+".bound", a.Bound)
	c.bound(path+".burst_bound", a.BurstBound)
	c.bound(path+".aligned_bound", a.AlignedBound)
	c.real(path+".long_run_accepted_per_s", a.LongRunAcceptedPerS)
	c.real(path+".configured_per_s", a.ConfiguredPerS)

	c.orAbsent(path+".max_admitted_in_window_at_most", a.MaxAdmittedInWindowAtMost, "max_admitted_in_window", a.MaxAdmittedInWindow)
	c.orAbsent(path+".over_admitted_at_most", a.OverAdmittedAtMost, "over_admitted", a.OverAdmitted)
	c.orAbsent(path+".keys_maybe_over_bound", a.KeysMaybeOverBound, "keys_over_bound", a.KeysOverBound)
	// A key over its bound is over by one admission at least.
	c.atMost(path+".keys_over_bound", a.KeysOverBound, "over_admitted", a.OverAdmitted)
	c.atMost(path+".keys_maybe_over_bound", a.KeysMaybeOverBound, "over_admitted_at_most", a.OverAdmittedAtMost)
	if a.OverAdmitted > 0 && a.KeysOverBound == 0 {
		c.fail(path+".keys_over_bound", "0, want at least 1 when over_admitted is %d", a.OverAdmitted)
	}
	if a.Keys > 0 {
		c.atMost(path+".keys_over_bound", a.KeysOverBound, "keys", a.Keys)
		c.atMost(path+".keys_maybe_over_bound", a.KeysMaybeOverBound, "keys", a.Keys)
	}
	// No key is further over than the worst, whose figures these are, and
	// none is over by more than it admitted in its busiest span.
	busiest := max(a.MaxAdmittedInWindow, a.MaxAdmittedInBurst, a.MaxAdmittedInAlignedWindow)
	if most := mulSat(a.KeysOverBound, busiest); a.OverAdmitted > most {
		c.fail(path+".over_admitted", "%d, want at most keys_over_bound × the most admitted in one span (%d × %d)",
			a.OverAdmitted, a.KeysOverBound, busiest)
	}

	if len(a.WorstKeys) > MaxWorstKeys {
		c.fail(path+".worst_keys", "%d keys, want at most %d", len(a.WorstKeys), MaxWorstKeys)
	}
	var overSum int64
	for i := range a.WorstKeys {
		k := &a.WorstKeys[i]
		kp := fmt.Sprintf("%s.worst_keys[%d]", path, i)
		c.keyAccuracy(kp, k)
		if i > 0 && k.OverAdmitted > a.WorstKeys[i-1].OverAdmitted {
			c.fail(kp+".over_admitted", "%d, want at most worst_keys[%d]'s (%d): worst first", k.OverAdmitted, i-1, a.WorstKeys[i-1].OverAdmitted)
		}
		overSum, _ = sum(overSum, max(k.OverAdmitted, 0))
	}
	if len(a.WorstKeys) > 0 {
		w := &a.WorstKeys[0]
		if a.WorstKey != w.Key {
			c.fail(path+".worst_key", "%q, want worst_keys[0].key (%q)", a.WorstKey, w.Key)
		}
		if a.MaxAdmittedInWindow != w.MaxAdmittedInWindow {
			c.fail(path+".max_admitted_in_window", "%d, want worst_keys[0]'s (%d)", a.MaxAdmittedInWindow, w.MaxAdmittedInWindow)
		}
		if overSum > a.OverAdmitted {
			c.fail(path+".over_admitted", "%d, want at least what worst_keys add up to (%d)", a.OverAdmitted, overSum)
		}
	}
}

// keyAccuracy checks one key's figures, as the worst keys and the
// admissions hold them.
func (c *checker) keyAccuracy(path string, k *KeyAccuracy) {
	for _, v := range []struct {
		name string
		v    int64
	}{
		{"admitted", k.Admitted}, {"unknown", k.Unknown}, {"window_us", k.WindowUS},
		{"max_admitted_in_window", k.MaxAdmittedInWindow}, {"max_admitted_in_window_at_most", k.MaxAdmittedInWindowAtMost},
		{"max_admitted_in_burst", k.MaxAdmittedInBurst}, {"max_admitted_in_burst_at_most", k.MaxAdmittedInBurstAtMost},
		{"burst_span_us", k.BurstSpanUS},
		{"max_admitted_in_aligned_window", k.MaxAdmittedInAlignedWindow},
		{"max_admitted_in_aligned_window_at_most", k.MaxAdmittedInAlignedWindowAtMost},
		{"over_admitted", k.OverAdmitted}, {"over_admitted_at_most", k.OverAdmittedAtMost},
	} {
		c.count(path+"."+v.name, v.v)
	}
	c.bound(path+".bound", k.Bound)
	c.bound(path+".burst_bound", k.BurstBound)
	c.bound(path+".aligned_bound", k.AlignedBound)
	c.atMost(path+".max_admitted_in_window", k.MaxAdmittedInWindow, "admitted", k.Admitted)
	c.orAbsent(path+".max_admitted_in_window_at_most", k.MaxAdmittedInWindowAtMost, "max_admitted_in_window", k.MaxAdmittedInWindow)
	c.orAbsent(path+".max_admitted_in_burst_at_most", k.MaxAdmittedInBurstAtMost, "max_admitted_in_burst", k.MaxAdmittedInBurst)
	c.orAbsent(path+".max_admitted_in_aligned_window_at_most", k.MaxAdmittedInAlignedWindowAtMost, "max_admitted_in_aligned_window", k.MaxAdmittedInAlignedWindow)
	c.orAbsent(path+".over_admitted_at_most", k.OverAdmittedAtMost, "over_admitted", k.OverAdmitted)
	busiest := max(k.MaxAdmittedInWindow, k.MaxAdmittedInBurst, k.MaxAdmittedInAlignedWindow)
	c.atMost(path+".over_admitted", k.OverAdmitted, "the most admitted in one span", busiest)
}

func (c *checker) generator(path string, g *Generator, missed int64) {
	c.real(path+".max_lag_us", g.MaxLagUS)
	c.real(path+".p99_lag_us", g.P99LagUS)
	c.count(path+".miss_after_us", g.MissAfterUS)
	if g.P99LagUS > g.MaxLagUS {
		c.fail(path+".p99_lag_us", "%s, want at most max_lag_us (%s)", formatReal(g.P99LagUS), formatReal(g.MaxLagUS))
	}
	// The generator is behind exactly when it missed slots.
	if g.Behind != (missed > 0) {
		c.fail(path+".behind", "%t, want %t when counts.missed is %d", g.Behind, missed > 0, missed)
	}
}

// timeseries checks a run's time series: points in time order, and no
// more outcomes in all than the run counted.
func (c *checker) timeseries(path string, ts *Timeseries, n *Counts) {
	c.count(path+".interval_us", ts.IntervalUS)
	if len(ts.Points) > 0 && ts.IntervalUS == 0 {
		c.fail(path+".interval_us", "0, want the interval of its %d points", len(ts.Points))
	}
	var accepted, rejected, errs int64
	ok := true
	for i, p := range ts.Points {
		pp := fmt.Sprintf("%s.points[%d]", path, i)
		c.count(pp+".t_us", p.TUS)
		if i > 0 && p.TUS <= ts.Points[i-1].TUS {
			c.fail(pp+".t_us", "%d, want after points[%d] (%d)", p.TUS, i-1, ts.Points[i-1].TUS)
		}
		c.count(pp+".accepted", p.Accepted)
		c.count(pp+".rejected", p.Rejected)
		c.count(pp+".errors", p.Errors)
		var a, r, e bool
		accepted, a = sum(accepted, p.Accepted)
		rejected, r = sum(rejected, p.Rejected)
		errs, e = sum(errs, p.Errors)
		if ok = ok && a && r && e; !ok {
			break
		}
	}
	for _, v := range []struct {
		name       string
		total, max int64
	}{{"accepted", accepted, n.Accepted}, {"rejected", rejected, n.Rejected}, {"errors", errs, n.Errors}} {
		if !ok || v.total > v.max {
			c.fail(path+".points", "%s %s in all, want at most counts.%s (%d)", formatSum(v.total, ok), v.name, v.name, v.max)
		}
	}
}

// admissions checks the kept admissions: keys sorted, each once, one per
// key the accuracy counts; instants that decode, in order; and, when
// complete, as many as the key's figures say it admitted.
func (c *checker) admissions(path string, adm *Admissions, a *Accuracy) {
	if int64(len(adm.Keys)) != a.Keys {
		c.fail(path+".keys", "%d keys, want accuracy.keys (%d)", len(adm.Keys), a.Keys)
	}
	kept := 0
	for i := range adm.Keys {
		k := &adm.Keys[i]
		kp := fmt.Sprintf("%s.keys[%d]", path, i)
		if i > 0 && k.Key <= adm.Keys[i-1].Key {
			c.fail(kp+".key", "%q, want after keys[%d] (%q): keys sorted, each once", k.Key, i-1, adm.Keys[i-1].Key)
		}
		c.count(kp+".window_us", k.WindowUS)
		c.count(kp+".burst_span_us", k.BurstSpanUS)
		c.bound(kp+".bound", k.Bound)
		c.bound(kp+".burst_bound", k.BurstBound)
		c.bound(kp+".aligned_bound", k.AlignedBound)
		c.keyAccuracy(kp+".figures", &k.Figures)
		instants, err := DecodeInstants(k.Instants)
		if err != nil {
			c.fail(kp+".instants", "does not decode (%v), want delta-varint base64", err)
			continue
		}
		if !slices.IsSorted(instants) {
			c.fail(kp+".instants", "out of order, want ascending instants")
		}
		unknown, err := DecodeSpans(k.Unknown)
		if err != nil {
			c.fail(kp+".unknown", "does not decode (%v), want from/to pairs, delta-varint base64", err)
			continue
		}
		kept += len(instants)
		if adm.Complete && (int64(len(instants)) != k.Figures.Admitted || int64(len(unknown)) != k.Figures.Unknown) {
			c.fail(kp+".instants", "%d admissions and %d unknown, want figures.admitted (%d) and figures.unknown (%d) in a complete list",
				len(instants), len(unknown), k.Figures.Admitted, k.Figures.Unknown)
		}
	}
	if kept > MaxKeptAdmissions {
		c.fail(path+".keys", "%d admissions kept, want at most %d", kept, MaxKeptAdmissions)
	}
}
