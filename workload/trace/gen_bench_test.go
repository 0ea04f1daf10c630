package trace

import (
	"strconv"
	"testing"

	"github.com/rlbench/rlbench/workload"
)

// benchParams are the Cloudflare comparison's: 270,000 sources at
// 100,000 requests a second, the generator's defaults otherwise, without
// end.
func benchParams(sources int) Params {
	p := DefaultParams()
	p.Sources, p.Rate, p.Duration, p.Seed = sources, 100000, 0, 1
	return p
}

// BenchmarkGeneratorNext is the cost of one request of a synthetic trace,
// once 100,000 have been read, beside the generator as it was
// (gen_ref_test.go):
// go test -run XXX -bench GeneratorNext -benchmem ./workload/trace/
func BenchmarkGeneratorNext(b *testing.B) {
	for _, sources := range []int{1000, 270000} {
		for _, ref := range []bool{false, true} {
			name := strconv.Itoa(sources)
			if ref {
				name += "/reference"
			}
			b.Run(name, func(b *testing.B) {
				var g interface {
					Next() (workload.Arrival, bool)
				}
				var err error
				if ref {
					g, err = newRefGen(benchParams(sources))
				} else {
					g, err = NewGenerator(benchParams(sources))
				}
				if err != nil {
					b.Fatal(err)
				}
				for range 100_000 {
					g.Next()
				}
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					if _, ok := g.Next(); !ok {
						b.Fatal("the generator ended")
					}
				}
			})
		}
	}
}
