package workload

import (
	"math/rand/v2"
	"testing"
	"time"
)

// BenchmarkAdmit is the tracker's cost per admission: in order (a
// simulation), as pipelined batches deliver them out of order, and over
// many keys (a simulation of many sources), each admission on a key
// asked for just before, as Simulate does.
func BenchmarkAdmit(b *testing.B) {
	for _, bb := range []struct {
		name      string
		keys      int
		window    time.Duration
		pipelined bool
		spacingUS int64
	}{
		{"in order", 1, time.Second, false, 1},
		{"pipelined batches of 64 from 50 workers", 1, time.Second, true, 1},
		{"270000 keys in order", 270000, time.Minute, false, 10},
	} {
		b.Run(bb.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			const n = 1 << 20
			ks := make([]int, n)
			ts := make([]int64, n)
			now := int64(1_700_000_000_000_000)
			for i := range n {
				ks[i] = rng.IntN(bb.keys)
				ts[i] = now + int64(i)*bb.spacingUS
			}
			if bb.pipelined {
				// 50 workers' batches of 64, each in order, delivered in a
				// random order within each round.
				const workers, size = 50, 64
				for round := 0; round+workers*size <= n; round += workers * size {
					perm := rng.Perm(workers)
					batch := make([]int64, 0, workers*size)
					for _, w := range perm {
						for j := range size {
							batch = append(batch, ts[round+j*workers+w])
						}
					}
					copy(ts[round:], batch)
				}
			}
			a := newAdmissions(bb.keys, func(int) time.Duration { return bb.window }, time.Second)
			a.forgetInstants = true
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				j := i % n
				if j == 0 && i > 0 {
					// Start over later on, so that instants keep going forward.
					now += int64(n) * bb.spacingUS * 2
				}
				a.key(ks[j])
				a.admit(a.key(ks[j]), time.UnixMicro(ts[j]+now-1_700_000_000_000_000))
			}
		})
	}
}
