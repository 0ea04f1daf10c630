package workload

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/report"
	"github.com/rlbench/rlbench/target"
)

// Oracle judges every decision of a run against an exact policy, per key,
// on the instants the target decided at (Said.At; the send when the
// target says none): each admission the policy forbids, given what the
// target really admitted before it, is a false allow, each rejection it
// allows a false deny (report.Oracle). Beside it the policy decides the
// same requests on its own, which gives the exact admitted rate.
//
// Observe is safe for concurrent use, as a run's workers call it
// (Config.Oracle), unless the oracle was told InOrder. Answers
// arrive out of order, so each key holds its decisions for a reorder
// allowance (Hold) and judges them in the order of their instants;
// memory is the admissions of one window per key (one int64 each for
// the sliding policy) plus the decisions of one allowance.
type Oracle struct {
	policy   string
	cost     int64
	hold     int64 // µs
	origin   int64 // µs: the time series' zero
	interval int64 // µs
	limitOf  func(int) algorithms.Limit
	keyName  func(int) string
	// inOrder is set by InOrder: decisions come from one goroutine at a
	// time, each key's in the order of their instants.
	inOrder bool
	shards  [64]oracleShard
}

// OracleNone is the policy that judges nothing.
const OracleNone = "none"

// oracleShard is a share of the keys, behind its own lock.
type oracleShard struct {
	mu     sync.Mutex
	keys   oracleKeys
	points []report.OraclePoint // by interval from origin
	err    error                // a judge that could not be made
}

// Outcomes as the oracle judges them, in the order it judges those of
// one instant: a limiter that rejects at an instant admits nothing more at
// it (its allowance only shrinks within an instant), so admissions came
// first, whatever order their answers arrived in.
const (
	oracleAdmitted uint8 = iota
	oracleUnknown
	oracleRejected
)

// oracleDecision is one decision awaiting its turn: at is the instant it
// is judged at, sent when it was sent (for the time series), µs.
type oracleDecision struct {
	at, sent int64
	outcome  uint8
}

// oracleKeys are a shard's keys by index within it (key / shards), in
// pages made as keys are first seen: a decision finds its key without
// hashing, memory grows with the pages of keys seen, and a report walks
// the keys in order. The keys themselves are made a slab at a time, in
// the order first seen: one allocation for many, and fewer objects for
// the collector to visit.
type oracleKeys struct {
	pages [][]*oracleKey
	slab  []oracleKey // keys made, not used yet
}

// oracleSlab is the number of keys made at once.
const oracleSlab = 64

// oraclePage is the number of keys of a page.
const oraclePage = 1024

// at is the key of index i, nil when unseen.
func (ks *oracleKeys) at(i int) *oracleKey {
	if p := i / oraclePage; p < len(ks.pages) && ks.pages[p] != nil {
		return ks.pages[p][i%oraclePage]
	}
	return nil
}

// set makes k the key of index i.
func (ks *oracleKeys) set(i int, k *oracleKey) {
	p := i / oraclePage
	for len(ks.pages) <= p {
		ks.pages = append(ks.pages, nil)
	}
	if ks.pages[p] == nil {
		ks.pages[p] = make([]*oracleKey, oraclePage)
	}
	ks.pages[p][i%oraclePage] = k
}

// spare is a zero key from the slab, to be made one of the keys.
func (ks *oracleKeys) spare() *oracleKey {
	if len(ks.slab) == 0 {
		ks.slab = make([]oracleKey, oracleSlab)
	}
	k := &ks.slab[0]
	ks.slab = ks.slab[1:]
	return k
}

// oracleKey is one key's judges, its decisions on hold and its counts.
// What every decision reads and writes comes first.
type oracleKey struct {
	newest  int64 // the latest instant seen
	judged  int64 // the latest instant judged, when any was (judging)
	judging bool
	// held is the first of the decisions at newest an in-order oracle
	// holds, when heldN > 0; the others are in pending.
	heldN int32
	held  oracleDecision

	decisions int64
	// rateFrom and rateTo are the instants of the window being counted,
	// [rateFrom, rateTo), while rateOpen: no division for a decision in it.
	rateFrom, rateTo int64
	// sliding holds low's state inline when the policy is the sliding
	// log, the usual one: low then points to it.
	sliding algorithms.SlidingJudge

	// low is told of the target's known admissions; high, once the key
	// has an unknown outcome, of those and every unknown one too. policy
	// decides on its own; while it is nil, it agrees with low: both were
	// told of the same admissions, so low's state is the policy's too (the
	// usual case of a target that decides as the policy does, at half the
	// memory and work). The first decision they part on gives the policy
	// its own copy.
	low, high, policy algorithms.Judge
	window            int64

	// pending holds the decisions on hold, sorted by at, from head; in
	// an in-order oracle, those held after held, in the order they came.
	pending []oracleDecision
	head    int

	unknown, late                      int64
	falseAllows, falseAllowsAtMost     int64
	falseDenies, falseDeniesAtMost     int64
	admittedByTarget, admittedByPolicy int64
	rateWindow, rateTarget, ratePolicy int64 // the window being counted
	rateWindows, rateAbs, rateBase     int64 // windows closed, Σ|target−policy|, Σpolicy
	rateOpen                           bool
}

// NewOracle returns an oracle of cfg's run under policy (one of
// report.OraclePolicies), each key held to its own limit, its time series
// of cfg.Interval (1 s when 0) counted from origin. Decisions are held for
// max(cfg.Timeout, 1 s).
func NewOracle(cfg Config, policy string, origin time.Time) (*Oracle, error) {
	cfg = cfg.withDefaults()
	if _, err := algorithms.NewJudge(policy, cfg.Limit); err != nil {
		return nil, err
	}
	for _, t := range cfg.Tiers {
		if _, err := algorithms.NewJudge(policy, t.Limit); err != nil {
			return nil, err
		}
	}
	return &Oracle{
		policy:   policy,
		cost:     cfg.Cost,
		hold:     max(cfg.Timeout, time.Second).Microseconds(),
		origin:   origin.UnixMicro(),
		interval: cfg.Interval.Microseconds(),
		limitOf:  cfg.limitOf,
		keyName:  cfg.keyName,
	}, nil
}

// InOrder tells o that each key's decisions reach Observe in the order
// of their instants, as a simulation without clock skew gives them. Each
// is then judged once a later instant of its key arrives: the order a
// hold gives, without holding a second of decisions per key (a hold of
// 1 µs, which Report states). One that broke the order would be late.
// Decisions must then also reach Observe one at a time, from one
// goroutine or with a happens-before between calls: the oracle takes no
// lock. Call it before the first Observe.
func (o *Oracle) InOrder() { o.hold, o.inOrder = 1, true }

// Observe judges sample s, or holds it until the decisions of its key
// that may still arrive before it have.
func (o *Oracle) Observe(s Sample) {
	d, ok := decisionOf(&s)
	if !ok {
		return
	}
	sh := o.shard(s.Key)
	if o.inOrder {
		if k := o.key(sh, s.Key); k != nil {
			o.observeInOrder(sh, k, d)
		}
		return
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	k := o.key(sh, s.Key)
	if k == nil {
		return
	}
	k.decisions++
	if k.judging && d.at < k.judged {
		// Its turn has passed: judge it now, after decisions it preceded.
		k.late++
		o.judge(sh, k, d)
		return
	}
	// Insert by instant; answers come nearly in order, so from the end.
	i := len(k.pending)
	for i > k.head && (k.pending[i-1].at > d.at || k.pending[i-1].at == d.at && k.pending[i-1].outcome > d.outcome) {
		i--
	}
	k.pending = slices.Insert(k.pending, i, d)
	k.newest = max(k.newest, d.at)
	o.release(sh, k, k.newest-o.hold)
}

// decisionOf is s as the oracle judges it; false for an error, which
// decided nothing.
func decisionOf(s *Sample) (oracleDecision, bool) {
	var outcome uint8
	switch s.Outcome.Kind {
	case target.Accepted:
		outcome = oracleAdmitted
	case target.Rejected:
		outcome = oracleRejected
	case target.Unknown:
		outcome = oracleUnknown
	default:
		return oracleDecision{}, false
	}
	d := oracleDecision{at: s.Outcome.Said.At.UnixMicro(), sent: s.Sent.UnixMicro(), outcome: outcome}
	if s.Outcome.Said.At.IsZero() {
		d.at = d.sent
	}
	return d, true
}

// shard is the shard of key i.
func (o *Oracle) shard(i int) *oracleShard { return &o.shards[uint(i)%uint(len(o.shards))] }

// adopt makes k, a zero key held elsewhere, key i's, for observeKey; false
// when its judge cannot be made (Report then fails). Only an in-order
// oracle adopts keys, and i must have none yet.
func (o *Oracle) adopt(i int, k *oracleKey) bool {
	sh := o.shard(i)
	if !o.initKey(sh, k, i) {
		return false
	}
	sh.keys.set(i/len(o.shards), k)
	return true
}

// observeKey is Observe of an in-order oracle for sample s of key i,
// whose state k the caller holds (adopt).
func (o *Oracle) observeKey(i int, k *oracleKey, s *Sample) {
	if d, ok := decisionOf(s); ok {
		o.observeInOrder(o.shard(i), k, d)
	}
}

// observeInOrder is Observe of an in-order oracle: the decisions of each
// key come in the order of their instants, so a hold of 1 µs judges each
// once a later instant of its key arrives, admissions first at an instant
// (oracleAdmitted). That order needs no list: an admission is judged at
// once, since the decisions judged before it are at earlier instants or
// are admissions at its own, and only the rejections and unknown outcomes
// at the newest instant wait, the first inline, for the next instant.
// A decision behind the newest is judged at once, as with a hold.
func (o *Oracle) observeInOrder(sh *oracleShard, k *oracleKey, d oracleDecision) {
	k.decisions++
	switch {
	case k.judging && d.at < k.judged:
		k.late++
		o.judge(sh, k, d)
		return
	case d.at > k.newest || k.decisions == 1:
		o.judgeHeld(sh, k)
		k.newest = d.at
	case d.at < k.newest:
		o.judge(sh, k, d) // before those held, as a hold releases it
		return
	}
	switch {
	case d.outcome == oracleAdmitted:
		o.judge(sh, k, d)
	case k.heldN == 0:
		k.held, k.heldN = d, 1
	default:
		k.pending = append(k.pending, d)
		k.heldN++
	}
}

// judgeHeld judges the decisions an in-order oracle holds at k.newest:
// the unknown outcomes, then the rejections, each in the order they came.
func (o *Oracle) judgeHeld(sh *oracleShard, k *oracleKey) {
	if k.heldN == 0 {
		return
	}
	for _, outcome := range [...]uint8{oracleUnknown, oracleRejected} {
		if k.held.outcome == outcome {
			o.judge(sh, k, k.held)
		}
		for _, d := range k.pending {
			if d.outcome == outcome {
				o.judge(sh, k, d)
			}
		}
	}
	k.heldN, k.pending = 0, k.pending[:0]
}

// key is key i's state, made on first use; nil when its judge cannot be
// made (recorded in sh.err).
func (o *Oracle) key(sh *oracleShard, i int) *oracleKey {
	j := i / len(o.shards)
	if k := sh.keys.at(j); k != nil {
		return k
	}
	k := sh.keys.spare()
	if !o.initKey(sh, k, i) {
		return nil
	}
	sh.keys.set(j, k)
	return k
}

// initKey readies k, a zero key, for key i; false when its judge cannot
// be made (recorded in sh.err).
func (o *Oracle) initKey(sh *oracleShard, k *oracleKey, i int) bool {
	limit := o.limitOf(i)
	var low algorithms.Judge
	var sliding algorithms.SlidingJudge
	var err error
	if o.policy == "sliding" {
		sliding, err = algorithms.NewSlidingJudge(limit)
	} else {
		low, err = algorithms.NewJudge(o.policy, limit)
	}
	if err != nil {
		sh.err = err
		return false
	}
	k.window = limit.Window.Microseconds()
	if low == nil {
		k.sliding = sliding
		low = &k.sliding
	}
	k.low = low
	return true
}

// release judges k's decisions on hold up to the instant until.
func (o *Oracle) release(sh *oracleShard, k *oracleKey, until int64) {
	for k.head < len(k.pending) && k.pending[k.head].at <= until {
		o.judge(sh, k, k.pending[k.head])
		k.head++
	}
	if k.head == len(k.pending) {
		k.pending, k.head = k.pending[:0], 0
	} else if k.head > len(k.pending)/2 {
		k.pending = k.pending[:copy(k.pending, k.pending[k.head:])]
		k.head = 0
	}
}

// judge holds decision d of key k to the policy.
func (o *Oracle) judge(sh *oracleShard, k *oracleKey, d oracleDecision) {
	n := o.cost
	if !k.judging || d.at > k.judged {
		k.judged, k.judging = d.at, true
	}
	// What low allows, and the policy deciding on its own, asked before
	// either is told of d: one question while they agree.
	lowAllows := k.low.Allows(d.at, n)
	policyAllows := lowAllows
	if k.policy != nil {
		policyAllows = k.policy.Allows(d.at, n)
	} else if policyAllows != (d.outcome == oracleAdmitted) {
		k.policy = k.low.Clone() // they part here
	}
	var falseAllow, falseDeny bool
	switch d.outcome {
	case oracleAdmitted:
		falseAllow = !lowAllows
		k.low.Admit(d.at, n)
		if k.high == nil {
			if falseAllow {
				k.falseAllowsAtMost++
			}
		} else {
			if !k.high.Allows(d.at, n) {
				k.falseAllowsAtMost++
			}
			k.high.Admit(d.at, n)
		}
		k.admittedByTarget += n
	case oracleRejected:
		if lowAllows {
			k.falseDeniesAtMost++
		}
		// Surely wrong only if allowed with every unknown outcome admitted.
		falseDeny = lowAllows
		if k.high != nil {
			falseDeny = k.high.Allows(d.at, n)
		}
	case oracleUnknown:
		k.unknown++
		if k.high == nil {
			k.high = k.low.Clone()
		}
		if lowAllows {
			k.falseDeniesAtMost++ // it may have been rejected
		}
		if !k.high.Allows(d.at, n) {
			k.falseAllowsAtMost++ // it may have been admitted
		}
		k.high.Admit(d.at, n)
	}
	if falseAllow {
		k.falseAllows++
	}
	if falseDeny {
		k.falseDenies++
	}
	if falseAllow || falseDeny {
		o.point(sh, d.sent, falseAllow)
	}

	// The policy deciding on its own, counted per epoch-aligned window.
	window := k.rateWindow
	if !k.rateOpen || d.at < k.rateFrom || d.at >= k.rateTo {
		window, _ = divModFloor(d.at, k.window)
	}
	if !k.rateOpen || window > k.rateWindow {
		k.closeRateWindow()
		k.rateWindow, k.rateOpen = window, true
		k.rateFrom = window * k.window
		k.rateTo = k.rateFrom + k.window
	}
	if policyAllows {
		if k.policy != nil {
			k.policy.Admit(d.at, n)
		} // else low, which agrees, was told of it above
		k.admittedByPolicy += n
		if window == k.rateWindow {
			k.ratePolicy += n
		}
	}
	if d.outcome == oracleAdmitted && window == k.rateWindow {
		k.rateTarget += n
	}
}

// closeRateWindow adds the window being counted to the rate difference.
func (k *oracleKey) closeRateWindow() {
	if k.rateOpen {
		k.rateAbs += max(k.rateTarget-k.ratePolicy, k.ratePolicy-k.rateTarget)
		k.rateBase += k.ratePolicy
		k.rateWindows++
	}
	k.rateTarget, k.ratePolicy, k.rateOpen = 0, 0, false
}

// point counts one wrong decision of a request sent at sent.
func (o *Oracle) point(sh *oracleShard, sent int64, falseAllow bool) {
	i := 0
	if sent > o.origin {
		i = int((sent - o.origin) / o.interval)
	}
	for len(sh.points) <= i {
		sh.points = append(sh.points, report.OraclePoint{TUS: int64(len(sh.points)) * o.interval})
	}
	if falseAllow {
		sh.points[i].FalseAllows++
	} else {
		sh.points[i].FalseDenies++
	}
}

// divModFloor is ⌊a/m⌋ and the remainder, for m > 0.
func divModFloor(a, m int64) (int64, int64) {
	q, r := a/m, a%m
	if r < 0 {
		q, r = q-1, r+m
	}
	return q, r
}

// Report judges every decision still on hold and returns the run's
// figures. Call it once the run is over: no Observe may follow.
func (o *Oracle) Report() (*report.Oracle, error) {
	out := &report.Oracle{Policy: o.policy, HoldUS: o.hold, Timeseries: report.OracleTimeseries{IntervalUS: o.interval}}
	var worst int64 = -1
	var rateAbs, rateBase int64
	for i := range o.shards {
		sh := &o.shards[i]
		sh.mu.Lock()
		if sh.err != nil {
			sh.mu.Unlock()
			return nil, fmt.Errorf("oracle: %w", sh.err)
		}
		for p, page := range sh.keys.pages {
			for j, k := range page {
				if k == nil {
					continue
				}
				key := (p*oraclePage+j)*len(o.shards) + i
				o.judgeHeld(sh, k)
				o.release(sh, k, math.MaxInt64)
				k.closeRateWindow()
				out.Judged += k.decisions
				out.Unknown += k.unknown
				out.Late += k.late
				out.FalseAllows += k.falseAllows
				out.FalseAllowsAtMost += k.falseAllowsAtMost
				out.FalseDenies += k.falseDenies
				out.FalseDeniesAtMost += k.falseDeniesAtMost
				out.AdmittedByTarget += k.admittedByTarget
				out.AdmittedByPolicy += k.admittedByPolicy
				out.RateWindows += k.rateWindows
				rateAbs += k.rateAbs
				rateBase += k.rateBase
				if k.falseAllows > 0 {
					out.KeysWithFalseAllows++
				}
				if k.falseDenies > 0 {
					out.KeysWithFalseDenies++
				}
				if wrong := k.falseAllows + k.falseDenies; wrong > 0 && (wrong > worst || wrong == worst && o.keyName(key) < out.WorstKey) {
					worst, out.WorstKey = wrong, o.keyName(key)
				}
			}
		}
		for j, p := range sh.points {
			if j == len(out.Timeseries.Points) {
				out.Timeseries.Points = append(out.Timeseries.Points, report.OraclePoint{TUS: p.TUS})
			}
			out.Timeseries.Points[j].FalseAllows += p.FalseAllows
			out.Timeseries.Points[j].FalseDenies += p.FalseDenies
		}
		sh.mu.Unlock()
	}
	if out.Judged > 0 {
		out.FalseAllowsPct = 100 * float64(out.FalseAllows) / float64(out.Judged)
		out.FalseDeniesPct = 100 * float64(out.FalseDenies) / float64(out.Judged)
	}
	if rateBase > 0 {
		out.RateDiffPct = 100 * float64(rateAbs) / float64(rateBase)
	}
	return out, nil
}
