package workload

import (
	"context"
	"fmt"
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
	rec := r.recs[0]
	keys := simKeys{cfg: cfg, admissions: r.admissions}
	if cfg.Oracle != nil && cfg.Oracle.inOrder {
		keys.oracle = cfg.Oracle
	}
	pastDuration := false
	for hit := uint64(0); cfg.Requests == 0 || hit < uint64(cfg.Requests); hit++ {
		if hit%4096 == 0 && ctx.Err() != nil {
			r.interrupted.Store(true)
			break
		}
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
		now := r.start.Add(offset)
		e := keys.of(k) // asked for, even if never admitted
		s := Sample{Key: k, KeyName: e.key.name, Cost: cost, Intended: now, Sent: now, Done: now}
		s.Outcome = decide(now, target.Request{Key: s.KeyName, KeyIndex: k, Tier: cfg.tierName(k), Limit: cfg.limitOf(k), Cost: cost, Index: hit})
		// account, with the key's record at hand.
		r.track(k, &e.key.admissions, &s)
		switch {
		case keys.oracle != nil:
			if e.oracle != nil {
				keys.oracle.observeKey(k, e.oracle, &s)
			}
		case cfg.Oracle != nil:
			cfg.Oracle.Observe(s)
		}
		if cfg.Observe != nil {
			cfg.Observe(s)
		}
		if kind := s.Outcome.Kind; kind == target.Accepted || kind == target.Rejected {
			rec.decidedAtOnce(kind == target.Accepted, now)
		} else {
			rec.observe(s)
		}
		r.scheduled = offset
	}
	if r.endedBy == "" {
		r.endedBy = EndedByRequests
	}
	if pastDuration {
		r.scheduled = cfg.Duration
	} else if rate := cfg.Pacer.Rate(r.scheduled); rate > 0 {
		r.scheduled += time.Duration(float64(time.Second) / rate)
	}
	rec.flushAtOnce()
	res := r.result()
	res.Elapsed = r.scheduled
	return res, nil
}

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
