package algorithms

import (
	"sort"
	"time"
)

// slidingModel is the sliding-window log of lua/sliding.lua: every
// admission is kept with its instant, and a request for n passes when the
// log holds at most limit-n admissions in the window (at-W, at]. The log
// decides at at = max(now, its newest admission), so that a clock that
// steps back behind an admission cannot count a window the log no longer
// holds; waits count from now. The key lives until its newest admission
// leaves the window.
//
// With 3 per second and admissions at 0.1 s, 0.2 s and 0.3 s, a request at
// 0.5 s is rejected with RetryAfter 600ms (the oldest leaves at 1.1 s) and
// ResetAfter 800ms (the newest leaves at 1.3 s).
//
// The admissions of one instant are one run, so a request for a million at
// once is one entry, not a million as in the script's list.
type slidingModel[K comparable] struct {
	modelBase
	keys keyStore[K, admissionLog]
}

// admissionLog is a key's list. Units are numbered from 1 in the
// order admitted; runs[head:] are in the log, oldest first, and base is the
// number of the last unit that has left it.
type admissionLog struct {
	runs     []admissionRun
	head     int
	base     int64
	expireAt int64
}

// admissionRun is the admissions of one instant: the units numbered up to
// last.
type admissionRun struct {
	at, last int64
}

func (l *admissionLog) empty() bool { return l.head == len(l.runs) }

// count is how many admissions the log holds.
func (l *admissionLog) count() int64 {
	if l.empty() {
		return 0
	}
	return l.runs[len(l.runs)-1].last - l.base
}

// newest is the instant of the newest admission; the log must not be empty.
func (l *admissionLog) newest() int64 { return l.runs[len(l.runs)-1].at }

// trim drops every admission at or before the instant cutoff:
// LTRIM of the oldest elements up to cutoff.
func (l *admissionLog) trim(cutoff int64) {
	for !l.empty() && l.runs[l.head].at <= cutoff {
		l.base = l.runs[l.head].last
		l.head++
	}
	if l.empty() {
		l.runs, l.head = l.runs[:0], 0
	}
}

// at is the instant of the k-th oldest admission in the log (k from 1):
// LINDEX -k.
func (l *admissionLog) at(k int64) int64 {
	runs := l.runs[l.head:]
	i := sort.Search(len(runs), func(i int) bool { return runs[i].last >= l.base+k })
	return runs[i].at
}

// add appends n admissions at instant at, no earlier than the newest.
func (l *admissionLog) add(at, n int64) {
	last := l.base
	if !l.empty() {
		last = l.runs[len(l.runs)-1].last
		if l.newest() == at {
			l.runs[len(l.runs)-1].last = last + n
			return
		}
	}
	if l.head > 0 && l.head >= len(l.runs)/2 {
		// Reuse the space the trimmed runs held.
		l.runs = l.runs[:copy(l.runs, l.runs[l.head:])]
		l.head = 0
	}
	l.runs = append(l.runs, admissionRun{at: at, last: last + n})
}

// AllowN implements Model.
func (m *slidingModel[K]) AllowN(now time.Time, key K, n int64) (Decision, error) {
	t, err := m.begin(now, n)
	if err != nil {
		return Decision{}, err
	}
	limit, w := m.limit.Requests, m.window
	l := m.keys.state(key)
	if !m.live(l.expireAt) {
		l.runs, l.head = l.runs[:0], 0 // the key has expired
	}
	at := t
	if !l.empty() {
		at = max(t, l.newest())
	}
	l.trim(at - w)
	count := l.count()
	// ResetAfter: when the newest admission leaves the window.
	reset := int64(0)
	if !l.empty() {
		reset = l.newest() + w - t
	}
	switch {
	case n > limit:
		return decide(false, max(0, limit-count), -1, reset, at), nil
	case count+n > limit:
		// The oldest count+n-limit admissions must leave first; the last of
		// them leaves when now reaches its instant plus the window.
		return decide(false, max(0, limit-count), l.at(count+n-limit)+w-t, reset, at), nil
	}
	l.add(at, n)
	// Until the newest entry leaves the window: with a clock that stepped
	// back, that is later than one window from now.
	reset = at + w - t
	l.expireAt = m.expiry(reset)
	return decide(true, limit-count-n, 0, reset, at), nil
}
