package workload

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/rlbench/rlbench/target"
)

// Decide decides one request at the instant now of a simulation's virtual
// clock, as a reference model does (algorithms.Model).
type Decide func(now time.Time, req target.Request) target.Outcome

// Simulate decides every request of cfg's open schedule at its intended
// instant, cfg.Start + Pacer.At(i), with decide in place of cfg.Target:
// virtual time, no sleeping, one decision after another. Its Result is
// counted by the code that counts Run's, admissions included; latency and
// lag are zero, Start is cfg.Start (required) and Elapsed is the virtual
// time the schedule covered. Cancelling ctx stops it, Interrupted set.
// HonorRetryAfter is not simulated: it must be false.
func Simulate(ctx context.Context, cfg Config, decide Decide) (Result, error) {
	return simulate(ctx, cfg, decide, false)
}

// SimulateByKey is Simulate for a decide that keeps nothing across keys:
// each key's requests are decided in their order, but the requests of one
// stretch of the schedule (byKeyChunk of them) are decided key by key, so
// that each key's state (the model's, the tracker's, cfg.Observe's) is
// fetched from memory once per stretch rather than once per request. The
// figures are Simulate's exactly, provided that decide and cfg.Observe
// depend on nothing but the key's own requests before (a reference
// model on its own clock per call: algorithms.StampEachCall) and that
// the schedule's instants never decrease. A cancelled ctx stops it at the
// end of a stretch.
func SimulateByKey(ctx context.Context, cfg Config, decide Decide) (Result, error) {
	return simulate(ctx, cfg, decide, true)
}

// Requests are decided in stretches: inOrderChunk in the order asked,
// byKeyChunk grouped by key. A stretch takes 64 bytes per request (two
// copies of each), 16 MiB for byKeyChunk; stretches of 2^20 and 2^22
// were no faster on 270,000 sources, since the hot keys, seen many times
// in each, are most of the gain. A cancelled run stops between two.
const inOrderChunk = 4096

var byKeyChunk = 1 << 18 // a variable, for tests to cut many stretches

func simulate(ctx context.Context, cfg Config, decide Decide, byKey bool) (Result, error) {
	cfg = cfg.withDefaults()
	cfg.MaxInflight = 1 // one decision at a time
	switch {
	case cfg.Pacer == nil:
		return Result{}, fmt.Errorf("%w: a simulation needs a schedule (an open workload)", ErrInvalidConfig)
	case cfg.Start.IsZero():
		return Result{}, fmt.Errorf("%w: a simulation needs a start instant", ErrInvalidConfig)
	case cfg.HonorRetryAfter:
		return Result{}, fmt.Errorf("%w: a simulation does not honor Retry-After", ErrInvalidConfig)
	}
	if err := cfg.validate(); err != nil {
		return Result{}, err
	}
	r := newRunner(cfg)
	r.start = cfg.Start
	r.recs = []*recorder{newRecorder(r.start, cfg.Interval, cfg.MissAfter)}
	r.workers = 1
	s := &simulation{cfg: cfg, r: r, rec: r.recs[0], decide: decide, byKey: byKey}
	s.keys = simKeys{cfg: cfg, admissions: r.admissions}
	if cfg.Oracle != nil && cfg.Oracle.inOrder {
		s.keys.oracle = cfg.Oracle
	}
	c := &s.chunk
	size := inOrderChunk
	if s.byKey {
		size = byKeyChunk
	}
	pastDuration := false
	for hit := uint64(0); ; {
		if ctx.Err() != nil {
			r.interrupted.Store(true)
			break
		}
		c.reqs = c.reqs[:0]
		for c.len() < size && (cfg.Requests == 0 || hit < uint64(cfg.Requests)) {
			offset, k, cost, ok := next(cfg, hit)
			if !ok {
				r.endedBy = EndedBySchedule
				break
			}
			if cfg.Duration > 0 && offset >= cfg.Duration {
				pastDuration = true
				r.endedBy = EndedByDuration
				break
			}
			c.reqs = append(c.reqs, simRequest{offset: offset, key: k, cost: cost, hit: hit})
			hit++
		}
		if c.len() == 0 {
			break
		}
		if s.byKey {
			s.decideByKey()
		} else {
			for i := range c.reqs {
				s.decideOne(&c.reqs[i])
			}
		}
		r.scheduled = c.reqs[len(c.reqs)-1].offset
		if r.endedBy != "" || (cfg.Requests != 0 && hit >= uint64(cfg.Requests)) {
			break
		}
	}
	if s.firstErr != nil {
		// Decided key by key, the first failure counted may not be the
		// first in time: the run's first error is.
		s.rec.firstErr = s.firstErr
	}
	if r.endedBy == "" {
		r.endedBy = EndedByRequests
	}
	if pastDuration {
		r.scheduled = cfg.Duration
	} else if rate := cfg.Pacer.Rate(r.scheduled); rate > 0 {
		r.scheduled += time.Duration(float64(time.Second) / rate)
	}
	s.rec.flushAtOnce()
	res := r.result()
	res.Elapsed = r.scheduled
	return res, nil
}

// simulation is the state of one Simulate.
type simulation struct {
	cfg    Config
	r      *runner
	rec    *recorder
	decide Decide
	byKey  bool
	keys   simKeys
	chunk  chunk
	// firstErr is the error of the earliest request that was not
	// decided, request firstErrHit.
	firstErr    error
	firstErrHit uint64
}

// decideOne decides request q, and accounts for it with the key's record
// at hand.
func (s *simulation) decideOne(q *simRequest) {
	now := s.r.start.Add(q.offset)
	k := q.key
	e := s.keys.of(k) // asked for, even if never admitted
	sample := Sample{Key: k, KeyName: e.key.name, Cost: q.cost, Intended: now, Sent: now, Done: now}
	sample.Outcome = s.decide(now, target.Request{Key: sample.KeyName, KeyIndex: k, Tier: s.cfg.tierName(k), Limit: s.cfg.limitOf(k), Cost: q.cost, Index: q.hit})
	s.r.track(k, &e.key.admissions, &sample)
	switch {
	case s.keys.oracle != nil:
		if e.oracle != nil {
			s.keys.oracle.observeKey(k, e.oracle, &sample)
		}
	case s.cfg.Oracle != nil:
		s.cfg.Oracle.Observe(sample)
	}
	if s.cfg.Observe != nil {
		s.cfg.Observe(sample)
	}
	if kind := sample.Outcome.Kind; kind == target.Accepted || kind == target.Rejected {
		s.rec.decidedAtOnce(kind == target.Accepted, now)
		return
	}
	if s.firstErr == nil || q.hit < s.firstErrHit {
		s.firstErr, s.firstErrHit = sample.Outcome.Err, q.hit
	}
	s.rec.observe(sample)
}

// decideByKey decides the chunk's requests key by key, each key's in
// the order asked: a counting sort by key into c.sorted, read in order.
func (s *simulation) decideByKey() {
	c := &s.chunk
	top := 0
	for i := range c.reqs {
		top = max(top, c.reqs[i].key)
	}
	sorted := append(c.sorted[:0], c.reqs...)
	if top > 4*len(c.reqs)+1<<16 {
		// Keys too sparse for a count per key: a stable sort.
		slices.SortStableFunc(sorted, func(a, b simRequest) int { return cmp.Compare(a.key, b.key) })
	} else {
		starts := slices.Grow(c.starts[:0], top+2)[:top+2]
		clear(starts)
		for i := range c.reqs {
			starts[c.reqs[i].key+1]++
		}
		for k := 1; k < len(starts); k++ {
			starts[k] += starts[k-1]
		}
		for i := range c.reqs {
			k := c.reqs[i].key
			sorted[starts[k]] = c.reqs[i]
			starts[k]++
		}
		c.starts = starts
	}
	c.sorted = sorted
	for i := range sorted {
		s.decideOne(&sorted[i])
	}
}

// chunk is one stretch of the schedule, its requests in the order asked.
type chunk struct {
	reqs []simRequest
	// sorted and starts are decideByKey's, kept for the next chunk.
	sorted []simRequest
	starts []int
}

// simRequest is request hit, on key at offset for cost.
type simRequest struct {
	offset time.Duration
	key    int
	cost   int64
	hit    uint64
}

func (c *chunk) len() int { return len(c.reqs) }

// next is request hit's offset, key and cost, the requests asked for in
// order: a replay's stream is read directly, one request at a time.
func next(cfg Config, hit uint64) (offset time.Duration, key int, cost int64, ok bool) {
	if cfg.Replay != nil {
		a, ok := cfg.Replay.next()
		return a.Offset, a.Key, a.Cost, ok
	}
	offset, ok = cfg.Pacer.At(hit)
	if !ok {
		return 0, 0, 0, false
	}
	key, cost = cfg.request(hit)
	return offset, key, cost, true
}

// simKeys are the keys of a simulation asked for so far, by index, in
// pages of simKeysPage made as keys are first seen: no hashing per
// request, and memory grows with the pages of keys seen, not the key
// space. Each key's tracker, name and, with an in-order oracle, judges
// live in one record, made when the key is first asked for, so that a
// decision finds them all in a few neighbouring cache lines rather than
// in a structure each; with many keys those misses are most of what a
// decision costs. Not safe for concurrent use.
type simKeys struct {
	cfg        Config
	admissions *admissions
	oracle     *Oracle // in order, or nil
	pages      [][]simEntry
	plain      []simKey       // records made, not used yet
	judged     []judgedSimKey // the same, with an oracle
}

const simKeysPage = 1024

// simKeysSlab is how many records are made at once.
const simKeysSlab = 64

// simKey is a key's record.
type simKey struct {
	admissions keyAdmissions
	name       string
}

// judgedSimKey is a key's record with an oracle.
type judgedSimKey struct {
	simKey
	oracle oracleKey
}

// simEntry is where a key's record is; oracle is nil without an oracle,
// or when its judge could not be made.
type simEntry struct {
	key    *simKey
	oracle *oracleKey
}

// of is key k's record, made the first time k is asked for.
func (ks *simKeys) of(k int) simEntry {
	p, i := k/simKeysPage, k%simKeysPage
	for len(ks.pages) <= p {
		ks.pages = append(ks.pages, nil)
	}
	if ks.pages[p] == nil {
		ks.pages[p] = make([]simEntry, simKeysPage)
	}
	e := &ks.pages[p][i]
	if e.key == nil {
		*e = ks.make(k)
	}
	return *e
}

// make makes key k's record.
func (ks *simKeys) make(k int) simEntry {
	var e simEntry
	if ks.oracle == nil {
		if len(ks.plain) == 0 {
			ks.plain = make([]simKey, simKeysSlab)
		}
		e.key, ks.plain = &ks.plain[0], ks.plain[1:]
	} else {
		if len(ks.judged) == 0 {
			ks.judged = make([]judgedSimKey, simKeysSlab)
		}
		rec := &ks.judged[0]
		ks.judged = ks.judged[1:]
		e.key = &rec.simKey
		if ks.oracle.adopt(k, &rec.oracle) {
			e.oracle = &rec.oracle
		}
	}
	e.key.name = ks.cfg.keyName(k)
	ks.admissions.adopt(k, &e.key.admissions)
	return e
}
