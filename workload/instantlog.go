package workload

import (
	"encoding/base64"
	"encoding/binary"
	"iter"
	"slices"
	"strings"

	"github.com/rlbench/rlbench/report"
)

// Chunk sizes of an instantLog: the first is small, for the many keys of a
// run that admit little, and each next one doubles up to the largest.
const (
	firstInstantChunk = 64
	lastInstantChunk  = 64 << 10
)

// instantLog holds admission instants as report.EncodeInstants writes
// them before base64: each the signed varint of its difference from the
// one before. Instants a few µs apart take a byte or two instead of eight,
// and the chunks, doubling from 64 B to 64 KB, grow without copying what
// they hold; a varint never straddles two chunks. The zero value is empty.
type instantLog struct {
	chunks [][]byte
	n      int   // instants held
	last   int64 // the newest appended: what the next difference is from
	// unsorted is set once an instant came before the one appended before
	// it: encoding then sorts.
	unsorted bool
}

// add appends t.
func (l *instantLog) add(t int64) {
	var buf [binary.MaxVarintLen64]byte
	v := binary.AppendVarint(buf[:0], t-l.last)
	if len(l.chunks) == 0 || cap(l.chunks[len(l.chunks)-1])-len(l.chunks[len(l.chunks)-1]) < len(v) {
		size := firstInstantChunk
		if len(l.chunks) > 0 {
			size = min(2*cap(l.chunks[len(l.chunks)-1]), lastInstantChunk)
		}
		l.chunks = append(l.chunks, make([]byte, 0, size))
	}
	c := &l.chunks[len(l.chunks)-1]
	*c = append(*c, v...)
	if l.n > 0 && t < l.last {
		l.unsorted = true
	}
	l.last = t
	l.n++
}

// all yields the instants in the order added.
func (l *instantLog) all() iter.Seq[int64] {
	return func(yield func(int64) bool) {
		var prev int64
		for _, c := range l.chunks {
			for len(c) > 0 {
				d, n := binary.Varint(c)
				prev += d
				if !yield(prev) {
					return
				}
				c = c[n:]
			}
		}
	}
}

// sorted is every instant held followed by tail, sorted ascending.
func (l *instantLog) sorted(tail []int64) []int64 {
	out := make([]int64, 0, l.n+len(tail))
	out = slices.AppendSeq(out, l.all())
	out = append(out, tail...)
	if l.unsorted || (l.n > 0 && len(tail) > 0 && tail[0] < l.last) || !slices.IsSorted(tail) {
		slices.Sort(out)
	}
	return out
}

// encode is report.EncodeInstants of the instants held followed by tail,
// sorted. When they already are in order (the usual case: instants enter
// the log in order as they leave the window), it is written straight from
// the chunks, with no copy of the instants.
func (l *instantLog) encode(tail []int64) string {
	if l.unsorted || (l.n > 0 && len(tail) > 0 && tail[0] < l.last) || !slices.IsSorted(tail) {
		return report.EncodeInstants(l.sorted(tail))
	}
	size := 0
	for _, c := range l.chunks {
		size += len(c)
	}
	var rest []byte
	prev := l.last
	for _, t := range tail {
		rest = binary.AppendVarint(rest, t-prev)
		prev = t
	}
	var b strings.Builder
	b.Grow(base64.StdEncoding.EncodedLen(size + len(rest)))
	enc := base64.NewEncoder(base64.StdEncoding, &b)
	for _, c := range l.chunks {
		_, _ = enc.Write(c) // a strings.Builder never fails
	}
	_, _ = enc.Write(rest)
	_ = enc.Close()
	return b.String()
}
