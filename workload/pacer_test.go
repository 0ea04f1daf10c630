package workload_test

import (
	"errors"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rlbench/rlbench/workload"
)

// checkOffsets fails the test unless p schedules exactly want for hits
// 0, 1, 2, ...
func checkOffsets(t *testing.T, p workload.Pacer, want []time.Duration) {
	t.Helper()
	for i, w := range want {
		got, ok := p.At(uint64(i))
		if !ok || got != w {
			t.Errorf("%v: At(%d) = %v, %v; want %v, true", p, i, got, ok, w)
		}
	}
}

// checkNonDecreasing fails the test unless At is defined and
// non-decreasing for the first n hits.
func checkNonDecreasing(t *testing.T, p workload.Pacer, n uint64) {
	t.Helper()
	prev := time.Duration(0)
	for i := range n {
		got, ok := p.At(i)
		if !ok {
			t.Fatalf("%v: At(%d) not ok", p, i)
		}
		if got < prev {
			t.Fatalf("%v: At(%d) = %v < At(%d) = %v", p, i, got, i-1, prev)
		}
		prev = got
	}
}

func ms(n float64) time.Duration { return time.Duration(n * float64(time.Millisecond)) }

// must returns p, or panics for a constructor's error that a test row
// did not expect.
func must[P any](p P, err error) P {
	if err != nil {
		panic(err)
	}
	return p
}

func TestSteadyPacer(t *testing.T) {
	tests := []struct {
		name string
		rate float64
		want []time.Duration
	}{
		{"one a second", 1, []time.Duration{0, time.Second, 2 * time.Second}},
		{"three a second rounds to the nanosecond", 3, []time.Duration{0, 333333333, 666666667, time.Second, 1333333333}},
		{"half a second apart", 2, []time.Duration{0, ms(500), time.Second}},
		{"slower than one a second", 0.4, []time.Duration{0, 2500 * time.Millisecond, 5 * time.Second}},
		{"one a nanosecond", workload.MaxRate, []time.Duration{0, 1, 2, 3}},
		{"seven a microsecond", 7e6, []time.Duration{0, 143, 286, 429, 571, 714, 857, 1000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := must(workload.NewSteady(tt.rate))
			checkOffsets(t, p, tt.want)
			checkNonDecreasing(t, p, 10_000)
			if got := p.Rate(time.Hour); got != tt.rate {
				t.Errorf("Rate = %v, want %v", got, tt.rate)
			}
		})
	}
}

func TestSteadyPacerEnds(t *testing.T) {
	p := must(workload.NewSteady(1))
	// A Duration ends after about 292 years.
	last := uint64(math.MaxInt64 / int64(time.Second))
	if got, ok := p.At(last); !ok || got != time.Duration(last)*time.Second {
		t.Errorf("At(last) = %v, %v", got, ok)
	}
	if got, ok := p.At(last + 1); ok {
		t.Errorf("At(past the last Duration) = %v, true; want not ok", got)
	}
	if got, ok := (workload.Steady{}).At(1); ok {
		t.Errorf("zero Steady At(1) = %v, true; want not ok", got)
	}
}

// bruteBursty lists every request of p due at or before horizon by
// generating both sequences and sorting their union.
func bruteBursty(p workload.Bursty, horizon time.Duration) []time.Duration {
	var all []time.Duration
	for at := time.Duration(0); at <= horizon; at += p.Every {
		for range p.Size {
			all = append(all, at)
		}
	}
	if p.BaseRate > 0 {
		for j := 0; ; j++ {
			at := time.Duration(math.Round(float64(j) * 1e9 / p.BaseRate))
			if at > horizon {
				break
			}
			all = append(all, at)
		}
	}
	slices.Sort(all)
	return all
}

func TestBurstyPacer(t *testing.T) {
	tests := []struct {
		name     string
		size     int64
		every    time.Duration
		base     float64
		horizon  time.Duration
		want     []time.Duration // the first offsets, when given
		wantRate float64
	}{
		{"bursts only", 3, time.Second, 0, 10 * time.Second,
			[]time.Duration{0, 0, 0, time.Second, time.Second, time.Second, 2 * time.Second}, 3},
		{"single requests are steady", 1, ms(250), 0, 5 * time.Second,
			[]time.Duration{0, ms(250), ms(500), ms(750)}, 4},
		{"base rate between bursts", 3, time.Second, 2, 10 * time.Second,
			[]time.Duration{0, 0, 0, 0, ms(500), time.Second, time.Second, time.Second, time.Second, ms(1500), 2 * time.Second}, 5},
		{"base rate that does not divide a second", 5, ms(100), 7, 3 * time.Second, nil, 57},
		{"base rate of thirds against odd bursts", 2, ms(333), 3, 20 * time.Second, nil, 2/0.333 + 3},
		{"base requests tie with every burst", 1, time.Millisecond, 1000, time.Second, nil, 2000},
		{"fast base, rare large bursts", 100, 3 * time.Second, 997, 10 * time.Second, nil, 100.0/3 + 997},
		{"slow base, frequent bursts", 4, 7 * time.Millisecond, 0.3, 10 * time.Second, nil, 4/0.007 + 0.3},
		{"one a nanosecond on top of bursts", 2, 10, workload.MaxRate, 1000, nil, 0.2e9 + workload.MaxRate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := must(workload.NewBursty(tt.size, tt.every, tt.base))
			if tt.want != nil {
				checkOffsets(t, p, tt.want)
			}
			want := bruteBursty(p, tt.horizon)
			checkOffsets(t, p, want)
			checkNonDecreasing(t, p, uint64(len(want)))
			if got := p.Rate(0); math.Abs(got-tt.wantRate) > 1e-9*tt.wantRate {
				t.Errorf("Rate = %v, want %v", got, tt.wantRate)
			}
		})
	}
}

func TestBurstyPacerIsIndependentOfCallOrder(t *testing.T) {
	p := must(workload.NewBursty(7, ms(130), 41))
	want := bruteBursty(p, 30*time.Second)
	for _, i := range []int{len(want) - 1, 0, len(want) / 2, 1, len(want) / 3} {
		if got, ok := p.At(uint64(i)); !ok || got != want[i] {
			t.Errorf("At(%d) = %v, %v; want %v", i, got, ok, want[i])
		}
	}
}

func TestWindowEdgePacer(t *testing.T) {
	const window, offset, size = time.Second, 5 * time.Millisecond, 3
	tests := []struct {
		name  string
		phase time.Duration
		first time.Duration // the first boundary used
	}{
		{"start on a boundary", 0, time.Second},
		{"start 1ns after a boundary", 1, time.Second - 1},
		{"start 300ms into a window", ms(300), ms(700)},
		{"first before-burst exactly at the start", window - offset, offset},
		{"first before-burst 1ns before the start", window - offset + 1, window + offset - 1},
		{"start 1ns before a boundary", window - 1, window + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := workload.WindowEdge{Window: window, Offset: offset, Size: size, Phase: tt.phase}
			var want []time.Duration
			for k := range time.Duration(4) {
				boundary := tt.first + k*window
				for _, at := range []time.Duration{boundary - offset, boundary + offset} {
					for range size {
						want = append(want, at)
					}
				}
			}
			checkOffsets(t, p, want)
			checkNonDecreasing(t, p, 10_000)
		})
	}
}

func TestNewWindowEdgeAlignsToEpochBoundaries(t *testing.T) {
	base := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name           string
		window, offset time.Duration
		size           int64
		start          time.Time
	}{
		{"on a second", time.Second, 5 * time.Millisecond, 10, base},
		{"mid second", time.Second, 5 * time.Millisecond, 10, base.Add(ms(437.5))},
		{"just before a second", time.Second, 5 * time.Millisecond, 1, base.Add(time.Second - 1)},
		{"inside the offset of the next boundary", time.Second, 50 * time.Millisecond, 2, base.Add(ms(970))},
		{"minute window", time.Minute, 100 * time.Millisecond, 20, base.Add(17*time.Second + 3)},
		{"10 minute window", 10 * time.Minute, time.Second, 100, base.Add(9*time.Minute + 59*time.Second + ms(999.9))},
		{"odd window of 7ms", 7 * time.Millisecond, 3 * time.Millisecond, 4, base.Add(12345)},
		{"before the epoch", time.Second, 5 * time.Millisecond, 2, time.Date(1969, 12, 31, 23, 59, 59, 300_000_000, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := must(workload.NewWindowEdge(tt.window, tt.offset, tt.size, tt.start))
			if p.Phase < 0 || p.Phase >= tt.window {
				t.Fatalf("Phase = %v, want in [0, %v)", p.Phase, tt.window)
			}
			startNs := tt.start.UnixNano()
			var prevBoundary int64
			for pair := range uint64(5) {
				var boundaries []int64
				for r := range uint64(2 * tt.size) {
					hit := pair*uint64(2*tt.size) + r
					at, ok := p.At(hit)
					if !ok || at < 0 {
						t.Fatalf("At(%d) = %v, %v", hit, at, ok)
					}
					side := tt.offset // a before-burst lies offset before its boundary
					if r >= uint64(tt.size) {
						side = -tt.offset
					}
					boundary := startNs + int64(at+side)
					if boundary%int64(tt.window) != 0 {
						t.Fatalf("At(%d) = %v: start+offset %v is not %v from an epoch-aligned boundary", hit, at, time.Duration(boundary%int64(tt.window)), side)
					}
					boundaries = append(boundaries, boundary)
				}
				// Both bursts of a pair straddle the same boundary.
				if slices.Min(boundaries) != slices.Max(boundaries) {
					t.Fatalf("pair %d straddles several boundaries: %v", pair, boundaries)
				}
				if pair > 0 && boundaries[0]-prevBoundary != int64(tt.window) {
					t.Fatalf("pair %d is %v after the last, want one window", pair, time.Duration(boundaries[0]-prevBoundary))
				}
				prevBoundary = boundaries[0]
			}
			// The first pair uses the first boundary whose before-burst is not
			// before the start.
			first, _ := p.At(0)
			if first >= tt.window {
				t.Errorf("first burst at %v skips a usable boundary", first)
			}
			if got, want := p.Rate(0), 2*float64(tt.size)/tt.window.Seconds(); got != want {
				t.Errorf("Rate = %v, want %v", got, want)
			}
		})
	}
}

func TestPoissonPacer(t *testing.T) {
	const rate, hits = 250.0, 100_000
	p := must(workload.NewPoisson(rate, 42))
	if got, ok := p.At(0); !ok || got != 0 {
		t.Errorf("At(0) = %v, %v; want 0, true", got, ok)
	}
	checkNonDecreasing(t, p, hits+1)
	last, _ := p.At(hits)
	mean := last.Seconds() / hits
	if want := 1 / rate; math.Abs(mean-want) > 0.03*want {
		t.Errorf("mean inter-arrival %v s, want %v s ± 3%%", mean, want)
	}
	if got := p.Rate(time.Minute); got != rate {
		t.Errorf("Rate = %v, want %v", got, rate)
	}
}

func poissonOffsets(t *testing.T, p workload.Pacer, n int) []time.Duration {
	t.Helper()
	out := make([]time.Duration, n)
	for i := range out {
		var ok bool
		if out[i], ok = p.At(uint64(i)); !ok {
			t.Fatalf("At(%d) not ok", i)
		}
	}
	return out
}

func TestPoissonPacerIsReproducible(t *testing.T) {
	const n = 5000
	a := poissonOffsets(t, must(workload.NewPoisson(1000, 7)), n)
	b := poissonOffsets(t, &workload.Poisson{PerSecond: 1000, Seed: 7}, n)
	if !slices.Equal(a, b) {
		t.Error("two pacers with seed 7 differ")
	}
	c := poissonOffsets(t, must(workload.NewPoisson(1000, 8)), n)
	same := 0
	for i := 1; i < n; i++ {
		if a[i] == c[i] {
			same++
		}
	}
	if same > 0 {
		t.Errorf("seeds 7 and 8 agree on %d of %d offsets", same, n-1)
	}
}

func TestPoissonPacerIsIndependentOfCallOrder(t *testing.T) {
	const n = 5000
	want := poissonOffsets(t, must(workload.NewPoisson(500, 3)), n)
	p := must(workload.NewPoisson(500, 3))
	// Backwards from the end, then jumps both ways, near and far.
	order := []int{n - 1, n - 2, n - 1025, n - 1026, 10, 4000, 3999, 0, 2500, 1}
	for i := n - 1; i >= 0; i -= 97 {
		order = append(order, i)
	}
	for _, i := range order {
		if got, ok := p.At(uint64(i)); !ok || got != want[i] {
			t.Fatalf("At(%d) = %v, %v; want %v", i, got, ok, want[i])
		}
	}
	// Workers on many goroutines interleave nearby hits.
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < n; i += 8 {
				if got, ok := p.At(uint64(i)); !ok || got != want[i] {
					t.Errorf("goroutine %d: At(%d) = %v, %v; want %v", w, i, got, ok, want[i])
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestRampPacer(t *testing.T) {
	tests := []struct {
		name     string
		from, to float64
		over     time.Duration
		want     []time.Duration // the first offsets, when given
		atOver   float64         // N(Over) = (From+To)/2·Over, a whole number here
	}{
		// N(t) = 10t + t²: t = -5 + √(25 + i).
		{"10 to 30 over 10s", 10, 30, 10 * time.Second,
			[]time.Duration{0, 99019514, 196152423, 291502622}, 200},
		// N(t) = 2t²: t = √(i/2).
		{"from 0", 0, 40, 10 * time.Second,
			[]time.Duration{0, 707106781, time.Second, 1224744871, 1414213562}, 200},
		{"flat", 50, 50, 4 * time.Second,
			[]time.Duration{0, 20 * time.Millisecond, 40 * time.Millisecond}, 200},
		// N(t) = 30t - t²: t = 15 - √(225 - i).
		{"down", 30, 10, 10 * time.Second,
			[]time.Duration{0, 33370453, 66815477, 100335574}, 200},
		{"steep", 2, 10_000, time.Second, nil, 5001},
		{"gentle", 1000, 1001, time.Minute, nil, 60030},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := must(workload.NewRamp(tt.from, tt.to, tt.over))
			if tt.want != nil {
				checkOffsets(t, p, tt.want)
			}
			if got := (tt.from + tt.to) / 2 * tt.over.Seconds(); got != tt.atOver {
				t.Fatalf("test row: (From+To)/2·Over = %v, not %v", got, tt.atOver)
			}
			// Requests 0..N(Over) are due by Over, and no more.
			last := uint64(tt.atOver)
			if at, ok := p.At(last); !ok || at > tt.over {
				t.Errorf("At(%d) = %v, %v; want at most %v", last, at, ok, tt.over)
			}
			if at, ok := p.At(last + 1); !ok || at <= tt.over {
				t.Errorf("At(%d) = %v, %v; want after %v", last+1, at, ok, tt.over)
			}
			// After the ramp, steady at To.
			if at, ok := p.At(last + uint64(tt.to)); !ok || at != tt.over+time.Second {
				t.Errorf("At(N(Over)+To) = %v, %v; want %v", at, ok, tt.over+time.Second)
			}
			checkNonDecreasing(t, p, last+1000)
			for _, r := range []struct {
				at   time.Duration
				want float64
			}{
				{-time.Second, tt.from}, {0, tt.from}, {tt.over / 4, tt.from + (tt.to-tt.from)/4},
				{tt.over / 2, (tt.from + tt.to) / 2}, {tt.over, tt.to}, {10 * tt.over, tt.to},
			} {
				if got := p.Rate(r.at); math.Abs(got-r.want) > 1e-9*max(r.want, 1) {
					t.Errorf("Rate(%v) = %v, want %v", r.at, got, r.want)
				}
			}
		})
	}
}

func TestRampDownToZeroEnds(t *testing.T) {
	p := must(workload.NewRamp(20, 0, 10*time.Second)) // N(Over) = 100
	if at, ok := p.At(100); !ok || at != 10*time.Second {
		t.Errorf("At(100) = %v, %v; want 10s, true", at, ok)
	}
	if at, ok := p.At(101); ok {
		t.Errorf("At(101) = %v, true; want not ok once the rate is 0", at)
	}
	checkNonDecreasing(t, p, 101)
}

func TestPacerStrings(t *testing.T) {
	tests := []struct {
		p    workload.Pacer
		want string
	}{
		{workload.Steady{PerSecond: 100}, "steady 100/s"},
		{workload.Steady{PerSecond: 0.5}, "steady 0.5/s"},
		{workload.Bursty{Size: 50, Every: time.Second}, "bursty 50 every 1s"},
		{workload.Bursty{Size: 50, Every: time.Second, BaseRate: 10}, "bursty 50 every 1s on 10/s"},
		{workload.WindowEdge{Window: time.Second, Offset: 5 * time.Millisecond, Size: 20}, "window-edge 20 at ±5ms of each 1s boundary"},
		{&workload.Poisson{PerSecond: 1e6, Seed: 1}, "poisson 1000000/s seed 1"},
		{workload.Ramp{From: 10, To: 100, Over: 30 * time.Second}, "ramp 10/s to 100/s over 30s"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestPacerInvalidArguments(t *testing.T) {
	start := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		new  func() error
		want string
	}{
		{"steady zero", func() error { _, err := workload.NewSteady(0); return err },
			"invalid rate 0: must be a positive number of requests per second, at most 1e+09"},
		{"steady negative", func() error { _, err := workload.NewSteady(-1); return err }, "invalid rate -1: must be a positive"},
		{"steady NaN", func() error { _, err := workload.NewSteady(math.NaN()); return err }, "invalid rate NaN: must be"},
		{"steady infinite", func() error { _, err := workload.NewSteady(math.Inf(1)); return err }, "invalid rate +Inf: must be"},
		{"steady above one a nanosecond", func() error { _, err := workload.NewSteady(2e9); return err }, "invalid rate 2e+09: must be"},
		{"bursty size 0", func() error { _, err := workload.NewBursty(0, time.Second, 0); return err },
			"invalid burst-size 0: must be at least 1"},
		{"bursty every 0", func() error { _, err := workload.NewBursty(5, 0, 0); return err },
			"invalid burst-every 0s: must be positive, such as 1s"},
		{"bursty negative every", func() error { _, err := workload.NewBursty(5, -time.Second, 0); return err },
			"invalid burst-every -1s: must be positive"},
		{"bursty negative base", func() error { _, err := workload.NewBursty(5, time.Second, -1); return err },
			"invalid rate -1: must be 0 or a positive number of requests per second, at most 1e+09"},
		{"bursty NaN base", func() error { _, err := workload.NewBursty(5, time.Second, math.NaN()); return err },
			"invalid rate NaN: must be 0 or a positive"},
		{"window-edge window 0", func() error { _, err := workload.NewWindowEdge(0, time.Millisecond, 1, start); return err },
			"invalid window 0s: must be positive, such as 1s"},
		{"window-edge offset 0", func() error { _, err := workload.NewWindowEdge(time.Second, 0, 1, start); return err },
			"invalid edge-offset 0s: must be positive and less than half of the window, 1s"},
		{"window-edge offset half the window", func() error {
			_, err := workload.NewWindowEdge(time.Second, 500*time.Millisecond, 1, start)
			return err
		}, "invalid edge-offset 500ms: must be positive and less than half of the window, 1s"},
		{"window-edge offset half an odd window", func() error { _, err := workload.NewWindowEdge(7, 4, 1, start); return err },
			"invalid edge-offset 4ns: must be positive and less than half of the window, 7ns"},
		{"window-edge size 0", func() error { _, err := workload.NewWindowEdge(time.Second, time.Millisecond, 0, start); return err },
			"invalid burst-size 0: must be at least 1"},
		{"poisson zero", func() error { _, err := workload.NewPoisson(0, 1); return err }, "invalid rate 0: must be a positive"},
		{"ramp both zero", func() error { _, err := workload.NewRamp(0, 0, time.Second); return err },
			"invalid rate 0: with a starting rate of 0 too, but a ramp needs a positive rate at one end"},
		{"ramp negative start", func() error { _, err := workload.NewRamp(-1, 10, time.Second); return err },
			"invalid rate-start -1: must be 0 or a positive"},
		{"ramp negative end", func() error { _, err := workload.NewRamp(10, -1, time.Second); return err },
			"invalid rate -1: must be 0 or a positive"},
		{"ramp length 0", func() error { _, err := workload.NewRamp(1, 10, 0); return err },
			"invalid duration 0s: must be positive, such as 30s, for a ramp to ramp over"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.new()
			if !errors.Is(err, workload.ErrInvalidPacer) {
				t.Fatalf("err = %v, want one wrapping ErrInvalidPacer", err)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to start %q", err, tt.want)
			}
		})
	}
}

func TestPacerInvalidLiteralsScheduleNothing(t *testing.T) {
	for _, p := range []workload.Pacer{
		workload.Steady{}, workload.Bursty{}, workload.WindowEdge{}, &workload.Poisson{}, workload.Ramp{},
		workload.WindowEdge{Window: time.Second, Offset: time.Millisecond, Size: 1, Phase: time.Second},
	} {
		if at, ok := p.At(0); ok {
			t.Errorf("%#v: At(0) = %v, true; want not ok", p, at)
		}
	}
}

// FuzzNewBursty checks that NewBursty either refuses its arguments with
// ErrInvalidPacer or returns a pacer whose first hits are scheduled in
// order, without panicking.
func FuzzNewBursty(f *testing.F) {
	f.Add(int64(3), int64(time.Second), 2.0)
	f.Add(int64(1), int64(1), 1e9)
	f.Add(int64(0), int64(0), -1.0)
	f.Add(int64(math.MaxInt64), int64(math.MaxInt64), 1e-300)
	f.Fuzz(func(t *testing.T, size, every int64, base float64) {
		p, err := workload.NewBursty(size, time.Duration(every), base)
		valid := size >= 1 && every > 0 && (base == 0 || base > 0 && base <= workload.MaxRate)
		if err != nil {
			if valid {
				t.Fatalf("NewBursty(%d, %d, %v) = %v for valid arguments", size, every, base, err)
			}
			if !errors.Is(err, workload.ErrInvalidPacer) {
				t.Fatalf("err = %v, want one wrapping ErrInvalidPacer", err)
			}
			return
		}
		if !valid {
			t.Fatalf("NewBursty(%d, %d, %v) accepted invalid arguments", size, every, base)
		}
		prev, ended := time.Duration(0), false
		for _, hit := range []uint64{0, 1, 2, 3, 10, 1000, 1 << 40, math.MaxUint64 - 1} {
			at, ok := p.At(hit)
			switch {
			case hit == 0 && (!ok || at != 0):
				t.Fatalf("At(0) = %v, %v; want 0, true", at, ok)
			case ok && ended:
				t.Fatalf("At(%d) = %v after the schedule ended", hit, at)
			case ok && at < prev:
				t.Fatalf("At(%d) = %v before an earlier hit's %v", hit, at, prev)
			}
			ended = ended || !ok
			if ok {
				prev = at
			}
		}
	})
}

func BenchmarkPacerAt(b *testing.B) {
	for _, p := range []workload.Pacer{
		workload.Steady{PerSecond: 1e4},
		workload.Bursty{Size: 100, Every: time.Second},
		workload.Bursty{Size: 100, Every: time.Second, BaseRate: 1e4},
		workload.WindowEdge{Window: time.Second, Offset: time.Millisecond, Size: 20},
		&workload.Poisson{PerSecond: 1e4, Seed: 1},
		workload.Ramp{From: 100, To: 1e4, Over: time.Minute},
	} {
		b.Run(p.String(), func(b *testing.B) {
			var hit uint64
			for b.Loop() {
				p.At(hit)
				hit++
			}
		})
	}
}
