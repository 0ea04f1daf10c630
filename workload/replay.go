package workload

import (
	"fmt"
	"io"
	"math/bits"
	"sync"
	"time"
)

// Arrival is one request of a Stream: when it is due (an offset from the
// run's start), whose key it asks for, and how many units it costs.
type Arrival struct {
	Offset time.Duration
	Key    int
	Cost   int64
}

// Stream is a schedule read once, in order, in which every request brings
// its own key and cost: a recorded trace or a synthetic generator. Unlike a
// Pacer it cannot be asked for request i out of order, which is what lets
// it be far larger than memory.
type Stream interface {
	// Next is the next request; false at the end of the stream or on an
	// error, which Err then returns. Offsets are non-decreasing.
	Next() (Arrival, bool)
	// Err is what stopped the stream early, nil at its end.
	Err() error
	// Keys is the number of distinct keys, numbered from 0; Name is key
	// k's name, which the run appends to its own key.
	Keys() int
	Name(k int) string
	// Rate is the mean requests per second of the whole stream, for the
	// offered load; String describes it in flag words.
	Rate() float64
	String() string
}

// Replay runs a Stream as a Config's schedule, keys and costs: set it as
// Config.Replay. The sender reads the stream in order, and each worker then
// takes its request's key and cost from a ring of the latest requests read,
// which must hold every request still waiting for a worker: the ring has
// room for at least twice the most requests in flight it was built for.
// Safe for concurrent use.
type Replay struct {
	mu     sync.Mutex
	stream Stream
	read   uint64 // requests read from the stream
	ended  bool
	ring   []slot
	mask   uint64
}

type slot struct {
	hit  uint64
	key  int
	cost int64
	off  time.Duration
}

// NewReplay returns the Replay of s for a run with at most inflight
// requests in flight (the open model's MaxInflight; 1 for a simulation).
func NewReplay(s Stream, inflight int) *Replay {
	size := uint64(1) << bits.Len64(uint64(2*max(inflight, 1)+16))
	return &Replay{stream: s, ring: make([]slot, size), mask: size - 1}
}

// At reads the stream up to request hit and returns its offset. Requests
// are asked for in order: hit may be the next one or one already read and
// still in the ring.
func (r *Replay) At(hit uint64) (time.Duration, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for r.read <= hit && !r.ended {
		a, ok := r.stream.Next()
		if !ok {
			r.ended = true
			break
		}
		r.ring[r.read&r.mask] = slot{hit: r.read, key: a.Key, cost: a.Cost, off: a.Offset}
		r.read++
	}
	s := r.ring[hit&r.mask]
	if hit >= r.read || s.hit != hit {
		return 0, false
	}
	return s.off, true
}

// next reads the stream's next request for a reader that reads it alone
// and in order, never through At (a simulation): no lock and no ring.
func (r *Replay) next() (Arrival, bool) {
	if r.ended {
		return Arrival{}, false
	}
	a, ok := r.stream.Next()
	if !ok {
		r.ended = true
		return Arrival{}, false
	}
	r.read++
	return a, true
}

// request is the key and cost of request hit, which At has read.
func (r *Replay) request(hit uint64) (int, int64) {
	r.mu.Lock()
	s, read := r.ring[hit&r.mask], r.read
	r.mu.Unlock()
	if s.hit != hit || hit >= read {
		// The ring is sized for the requests in flight: this is a bug.
		panic(fmt.Sprintf("workload: replay request %d is no longer held (read %d, ring %d)", hit, read, len(r.ring)))
	}
	return s.key, s.cost
}

// Rate is the stream's mean rate, at every offset.
func (r *Replay) Rate(time.Duration) float64 { return r.stream.Rate() }

// String is the stream's.
func (r *Replay) String() string { return r.stream.String() }

// Key is never asked by a run with a Replay (it asks request), but makes a
// Replay a Keys: the number of keys is the stream's.
func (r *Replay) Key(hit uint64) int { k, _ := r.request(hit); return k }

// N is the number of keys of the stream.
func (r *Replay) N() int { return r.stream.Keys() }

// Err is what stopped the stream before its end, if anything did.
func (r *Replay) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stream.Err()
}

// ringSize is the number of requests the ring holds.
func (r *Replay) ringSize() int { return len(r.ring) }

// Close closes the stream when it holds a file; a nil Replay is closed.
func (r *Replay) Close() error {
	if r == nil {
		return nil
	}
	if c, ok := r.stream.(io.Closer); ok {
		return c.Close()
	}
	return nil
}
