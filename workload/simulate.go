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
	names := keyNames{cfg: cfg}
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
		r.admissions.key(k) // asked for, even if never admitted
		s := Sample{Key: k, KeyName: names.of(k), Cost: cost, Intended: now, Sent: now, Done: now}
		s.Outcome = decide(now, target.Request{Key: s.KeyName, KeyIndex: k, Tier: cfg.tierName(k), Limit: cfg.limitOf(k), Cost: cost, Index: hit})
		r.account(k, s)
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

// keyNames are the user keys of the keys asked for so far, each built
// once, in pages of keyNamesPage made as keys are first seen: no hashing
// per request, and memory grows with the pages of keys seen, not the key
// space.
type keyNames struct {
	cfg   Config
	pages [][]string
}

const keyNamesPage = 1024

func (n *keyNames) of(k int) string {
	p, i := k/keyNamesPage, k%keyNamesPage
	for len(n.pages) <= p {
		n.pages = append(n.pages, nil)
	}
	if n.pages[p] == nil {
		n.pages[p] = make([]string, keyNamesPage)
	}
	name := n.pages[p][i]
	if name == "" {
		name = n.cfg.keyName(k)
		n.pages[p][i] = name
	}
	return name
}
