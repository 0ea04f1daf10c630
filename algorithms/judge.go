package algorithms

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Judge holds one key to an algorithm's rule while another limiter
// decides: the exact policy of rlbench's --oracle. Allows reports whether
// the rule passes n units at now, given every admission recorded so far;
// Admit records n units as admitted at now, whether the rule allowed them
// or not, because what the judged limiter let through counts against
// what follows, as it would in the rule's own state. A token bucket or
// GCRA told of an admission it would have refused goes into debt (fewer
// than no tokens, a theoretical arrival time further ahead), which it
// repays at its rate.
//
// With Limit{Requests: 2, Window: time.Second}, a sliding Judge told of
// admissions at 0 and 100 ms does not allow one at 900 ms (two in the
// trailing second) and allows one at 1000 ms (the one at 0 has left).
//
// Instants are µs since the Unix epoch and should come in order; one
// before the newest is read as the scripts read a clock that stepped back.
// The state and arithmetic are the reference model's (NewModel) for one
// key, without expiry, which never changes a decision: a Judge told of a
// model's own admissions allows exactly what the model allows
// (TestJudgeAgreesWithModel). A decision allocates nothing but the
// sliding log's growth. A Judge is not safe for concurrent use; Clone
// copies it.
type Judge interface {
	// Allows reports whether the rule passes n units at now.
	Allows(now, n int64) bool
	// Admit records n units admitted at now.
	Admit(now, n int64)
	// Clone is an independent copy of the judge and its state.
	Clone() Judge
}

// JudgeNames are the algorithms NewJudge accepts: the exact policies an
// oracle may hold a run to.
func JudgeNames() []string { return []string{"sliding", "fixed", "token", "gcra"} }

// NewJudge returns a Judge of algorithm name for one key at limit, or
// ErrUnknownAlgorithm for a name not in JudgeNames, or limit.Validate's
// error.
func NewJudge(name string, limit Limit) (Judge, error) {
	if err := limit.Validate(); err != nil {
		return nil, err
	}
	base := modelBase{name: name, limit: limit, window: limit.windowMicros()}
	switch name {
	case "sliding":
		j := SlidingJudge{limit: limit.Requests, window: base.window}
		return &j, nil
	case "fixed":
		return &fixedJudge{limit: limit.Requests, window: base.window, index: [2]int64{math.MinInt64, math.MinInt64}}, nil
	case "token":
		return &tokenJudge{modelBase: base}, nil
	case "gcra":
		return &gcraJudge{interval: ceilDiv(base.window, limit.Requests), burst: limit.Capacity()}, nil
	}
	return nil, fmt.Errorf("%w %q: an oracle's policy is one of %s", ErrUnknownAlgorithm, name, strings.Join(JudgeNames(), ", "))
}

// SlidingJudge is the sliding policy's Judge, NewJudge("sliding", ...),
// as a value: a caller that keeps a judge per key, as the oracle does,
// holds it inline in its own record, one cache miss fewer per decision.
// The rule is the sliding log's: at most Requests admitted in any
// trailing window (at−window, at]. The count, the oldest and the newest
// instant are kept beside the log, so that a judge with nothing leaving
// its window reads no more than its own fields; the log is a ring, which
// never moves what it holds. The zero value allows nothing; a copy shares
// its log with the original (Clone does not).
type SlidingJudge struct {
	limit, window int64 // µs
	// units is how many units were ever admitted, left the log the ones
	// before the oldest held: the log holds units−left.
	units, left    int64
	oldest, newest int64 // instants of the oldest and newest runs held
	runs           []admissionRun
	head, held     int // runs[head] is the oldest of held runs, in a ring
}

// NewSlidingJudge is NewJudge("sliding", limit) as a value.
func NewSlidingJudge(limit Limit) (SlidingJudge, error) {
	if err := limit.Validate(); err != nil {
		return SlidingJudge{}, err
	}
	return SlidingJudge{limit: limit.Requests, window: limit.windowMicros()}, nil
}

// at is the instant the log decides now at (never before its newest
// admission), with what left the window trimmed.
func (j *SlidingJudge) at(now int64) int64 {
	if j.held == 0 {
		return now
	}
	at := max(now, j.newest)
	for cutoff := at - j.window; j.oldest <= cutoff; {
		j.left = j.runs[j.head].last
		j.head = (j.head + 1) & (len(j.runs) - 1)
		if j.held--; j.held == 0 {
			break
		}
		j.oldest = j.runs[j.head].at
	}
	return at
}

// Allows reports whether the rule passes n units at now.
func (j *SlidingJudge) Allows(now, n int64) bool {
	j.at(now)
	return n <= j.limit && j.units-j.left+n <= j.limit
}

// Admit records n units admitted at now.
func (j *SlidingJudge) Admit(now, n int64) {
	at := j.at(now)
	j.units += n
	if j.held > 0 && j.newest == at {
		j.runs[(j.head+j.held-1)&(len(j.runs)-1)].last = j.units
		return
	}
	if j.held == len(j.runs) {
		// Full: a ring twice the size, the oldest first.
		grown := make([]admissionRun, max(4, 2*len(j.runs)))
		n := copy(grown, j.runs[j.head:])
		copy(grown[n:], j.runs[:j.head])
		j.runs, j.head = grown, 0
	}
	if j.held == 0 {
		j.oldest = at
	}
	j.runs[(j.head+j.held)&(len(j.runs)-1)] = admissionRun{at: at, last: j.units}
	j.held++
	j.newest = at
}

// Clone is an independent copy of the judge and its log.
func (j *SlidingJudge) Clone() Judge {
	c := *j
	c.runs = slices.Clone(j.runs)
	return &c
}

// fixedJudge is the fixed window's rule: at most limit admitted per
// epoch-aligned window. It keeps the newest two windows, so that an
// instant a little behind still finds its window's count.
type fixedJudge struct {
	limit, window int64
	index, count  [2]int64 // [0] the newest window, [1] the one before
}

func (j *fixedJudge) counted(index int64) int64 {
	for i, x := range j.index {
		if x == index {
			return j.count[i]
		}
	}
	return 0
}

func (j *fixedJudge) Allows(now, n int64) bool {
	index, _ := divMod(now, j.window)
	return n <= j.limit && j.counted(index)+n <= j.limit
}

func (j *fixedJudge) Admit(now, n int64) {
	index, _ := divMod(now, j.window)
	switch {
	case index > j.index[0]:
		j.index[1], j.count[1] = j.index[0], j.count[0]
		j.index[0], j.count[0] = index, n
	case index == j.index[0]:
		j.count[0] += n
	case index == j.index[1]:
		j.count[1] += n
	}
}

func (j *fixedJudge) Clone() Judge {
	c := *j
	return &c
}

// tokenJudge is the token bucket's rule: capacity C, refilled at
// Requests per window; its count goes below 0 for admissions it would not
// have allowed.
type tokenJudge struct {
	modelBase
	s    bucket
	seen bool
}

// level is the bucket at now, refilled as the token model refills it.
func (j *tokenJudge) level(now int64) (tokens, frac, stamp int64) {
	w, c := j.window, j.limit.Capacity()
	var s *bucket
	if j.seen {
		s = &j.s
	}
	ok, stamp, whole, part := j.readBucket(s, now)
	if !ok {
		return c, 0, stamp
	}
	if whole >= c-j.s.count {
		return c, 0, stamp
	}
	tokens, frac = j.s.count+whole, j.s.frac+part
	if frac >= w {
		tokens, frac = tokens+1, frac-w
	}
	if tokens >= c {
		tokens, frac = c, 0
	}
	return tokens, frac, stamp
}

func (j *tokenJudge) Allows(now, n int64) bool {
	tokens, _, _ := j.level(now)
	return n <= j.limit.Capacity() && tokens >= n
}

func (j *tokenJudge) Admit(now, n int64) {
	tokens, frac, stamp := j.level(now)
	j.s = bucket{count: tokens - n, frac: frac, ts: stamp, expireAt: math.MaxInt64}
	j.seen = true
}

func (j *tokenJudge) Clone() Judge {
	c := *j
	return &c
}

// gcraJudge is GCRA's rule: a theoretical arrival time that each unit
// moves one interval ahead, and at most burst units' worth of it ahead of
// now.
type gcraJudge struct {
	interval, burst int64
	tat             int64
	seen            bool
}

func (j *gcraJudge) at(now int64) int64 {
	if j.seen {
		return max(now, j.tat)
	}
	return now
}

func (j *gcraJudge) Allows(now, n int64) bool {
	if n > j.burst {
		return false
	}
	q, r := divMod(j.at(now)-now, j.interval)
	spare := j.burst - n
	return !(q > spare || q == spare && r > 0)
}

func (j *gcraJudge) Admit(now, n int64) {
	j.tat = min(maxWhole, addSat(j.at(now), mulSat(n, j.interval)))
	j.seen = true
}

func (j *gcraJudge) Clone() Judge {
	c := *j
	return &c
}
