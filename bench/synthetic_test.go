package bench

import (
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/workload/trace"
)

// BenchmarkSimulateSynthetic measures decisions per second on production-
// like traffic from 270,000 sources (the Cloudflare comparison's), and the
// most heap the run held (sampled every 20ms), generator, models and
// per-key accounting included:
// go test -run XXX -bench SimulateSynthetic -benchtime 2000000x ./bench/
func BenchmarkSimulateSynthetic(b *testing.B) {
	load := overLimit()
	load.Limit.Window *= 60
	benchSynthetic(b, load)
}

// BenchmarkSimulateSyntheticOracle is the comparison of issue 13 as
// `simulate --oracle` runs it: the sliding-window counter at 100 a minute
// judged by the sliding log, with the heap per key seen:
// go test -run XXX -bench SimulateSyntheticOracle -benchtime 4000000x -benchmem ./bench/
func BenchmarkSimulateSyntheticOracle(b *testing.B) {
	load := overLimit()
	load.Limit = algorithms.Limit{Requests: 100, Window: time.Minute}
	load.Oracle = "sliding"
	benchSynthetic(b, load)
}

// benchSynthetic simulates b.N requests of 270,000 synthetic sources under
// load with the sliding-window counter.
func benchSynthetic(b *testing.B, load *Load) {
	load.Rate, load.Duration, load.Requests = 100000, 0, int64(b.N)
	load.Synthetic = trace.DefaultParams()
	load.Synthetic.Sources, load.Synthetic.Rate, load.Synthetic.Seed = 270000, 100000, 1
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	b.ReportAllocs()
	b.ResetTimer()
	f := simulate(b, load, Synthetic, "sliding-counter")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
	close(stop)
	<-done
	keys := f.Runs[0].Accuracy.Keys
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(keys), "keys")
	b.ReportMetric(float64(peak.Load())/float64(max(keys, 1)), "peak-heap-B/key")
}
