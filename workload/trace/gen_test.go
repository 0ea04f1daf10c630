package trace

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math"
	"runtime"
	"testing"
	"time"
)

// generate writes p's trace as CSV.
func generate(t *testing.T, p Params) []byte {
	t.Helper()
	g, err := NewGenerator(p)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := Write(context.Background(), &b, g, false, false); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// counts runs p's generator and returns the requests of each source,
// checking that offsets never decrease and stay within the duration.
func counts(t *testing.T, p Params) (*Generator, []int, []time.Duration) {
	t.Helper()
	g, err := NewGenerator(p)
	if err != nil {
		t.Fatal(err)
	}
	n := make([]int, p.Sources)
	maxGap := make([]time.Duration, p.Sources)
	last := make([]time.Duration, p.Sources)
	var prev time.Duration
	for a, ok := g.Next(); ok; a, ok = g.Next() {
		if a.Offset < prev || a.Offset >= p.Duration || a.Cost != 1 {
			t.Fatalf("request at %v after %v (duration %v), cost %d", a.Offset, prev, p.Duration, a.Cost)
		}
		prev = a.Offset
		n[a.Key]++
		maxGap[a.Key] = max(maxGap[a.Key], a.Offset-last[a.Key])
		last[a.Key] = a.Offset
	}
	return g, n, maxGap
}

func TestGenDeterministic(t *testing.T) {
	p := DefaultParams()
	p.Sources, p.Rate, p.Duration, p.Seed = 50, 100, time.Minute, 42
	a, b := generate(t, p), generate(t, p)
	if !bytes.Equal(a, b) {
		t.Fatal("the same parameters gave different traces")
	}
	p.Seed = 43
	if bytes.Equal(a, generate(t, p)) {
		t.Error("another seed gave the same trace")
	}
	// The golden digest pins the generator: a change to it changes every
	// trace users made, and must be deliberate. Floating point may be
	// fused differently on other architectures.
	if runtime.GOARCH != "amd64" {
		t.Skipf("golden digest is for amd64, not %s", runtime.GOARCH)
	}
	sum := sha256.Sum256(a)
	if got, want := hex.EncodeToString(sum[:]), "5a97060d1e7bebf99b7b88d49ebc70486749526f508d2b1185ff30fa8f74d670"; got != want {
		t.Errorf("trace digest %s, want %s (%d bytes)", got, want, len(a))
	}
}

func TestGenAbusive(t *testing.T) {
	p := DefaultParams()
	p.Sources, p.Abusive, p.AbusiveRate, p.Rate, p.Duration = 10000, 0.05, 10, 1000, time.Minute
	g, n, _ := counts(t, p)
	abusive, sent := 0, 0
	for k := range p.Sources {
		if g.Abusive(k) {
			abusive++
			sent += n[k]
		}
	}
	if abusive != 500 {
		t.Errorf("%d abusive sources of 10000 at a share of 0.05, want 500", abusive)
	}
	// 500 sources at 10/s for 60s: 300000 Poisson arrivals, sd about 550.
	if want := 300000.0; math.Abs(float64(sent)-want) > 0.01*want {
		t.Errorf("abusive sources sent %d, want %v within 1%%", sent, want)
	}
}

func TestGenZipf(t *testing.T) {
	p := DefaultParams()
	p.Sources, p.Abusive, p.Diurnal, p.OffMean, p.RateZipf = 100, 0, 0, 0, 1
	p.Rate, p.Duration = 1000, 10*time.Minute
	_, n, _ := counts(t, p)
	var h float64
	for i := range 100 {
		h += 1 / float64(i+1)
	}
	total := 0
	for _, c := range n {
		total += c
	}
	if want := 600000.0; math.Abs(float64(total)-want) > 0.01*want {
		t.Errorf("%d requests, want %v within 1%% (always on, no swing)", total, want)
	}
	for i := range 10 {
		want := 600000 / h / float64(i+1)
		if math.Abs(float64(n[i])-want) > 0.05*want {
			t.Errorf("src-%d sent %d, want %.0f within 5%% (zipf 1)", i, n[i], want)
		}
	}
	// The slope of log count against log rank is the zipf exponent.
	var sx, sy, sxx, sxy float64
	for i, c := range n {
		x, y := math.Log(float64(i+1)), math.Log(float64(c))
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	slope := (100*sxy - sx*sy) / (100*sxx - sx*sx)
	if math.Abs(slope+1) > 0.05 {
		t.Errorf("log-log slope %.3f, want -1 within 0.05", slope)
	}
}

func TestGenDiurnal(t *testing.T) {
	p := DefaultParams()
	p.Sources, p.Abusive, p.OffMean, p.RateZipf = 100, 0, 0, 0
	p.Diurnal, p.DiurnalPeriod, p.Rate, p.Duration = 0.5, time.Minute, 2000, time.Minute
	g, err := NewGenerator(p)
	if err != nil {
		t.Fatal(err)
	}
	var quarter [4]float64
	for a, ok := g.Next(); ok; a, ok = g.Next() {
		quarter[a.Offset*4/time.Minute]++
	}
	// The mean of sin over the first quarter period is 2/π, over the
	// third -2/π.
	want := (1 + 0.5*2/math.Pi) / (1 - 0.5*2/math.Pi)
	if got := quarter[0] / quarter[2]; math.Abs(got-want) > 0.05*want {
		t.Errorf("first quarter against third: %.3f, want %.3f within 5%% (%v)", got, want, quarter)
	}
}

func TestGenOnOff(t *testing.T) {
	p := DefaultParams()
	p.Sources, p.Abusive, p.Diurnal, p.RateZipf = 2000, 0, 0, 0
	p.OnMean, p.OffMean, p.Rate, p.Duration = time.Second, 9*time.Second, 1000, 10*time.Minute
	_, n, gaps := counts(t, p)
	// While on, a source sends at 5/s: a gap of 5s is an off period
	// (Poisson alone gives one with probability e^-25 a gap).
	long, total := 0, 0
	for i := range n {
		total += n[i]
		if gaps[i] > 5*time.Second {
			long++
		}
	}
	if long < 1900 {
		t.Errorf("%d of 2000 sources ever paused for 5s, want nearly all", long)
	}
	// The mean rate holds over many sources, heavy tails and all.
	if want := 600000.0; math.Abs(float64(total)-want) > 0.25*want {
		t.Errorf("%d requests, want %v within 25%%", total, want)
	}
	t.Logf("%d requests against 600000 expected", total)
}

func TestGenParams(t *testing.T) {
	ok := DefaultParams()
	if err := ok.Check(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		field string
		set   func(*Params)
	}{
		{"sources", func(p *Params) { p.Sources = 0 }},
		{"sources", func(p *Params) { p.Sources = MaxSources + 1 }},
		{"rate", func(p *Params) { p.Rate = math.Inf(1) }},
		{"rate", func(p *Params) { p.Rate = 1e300 }},
		{"rate", func(p *Params) { p.Rate, p.Abusive = 0, 0 }},
		{"rate-zipf", func(p *Params) { p.RateZipf = math.NaN() }},
		{"on-mean", func(p *Params) { p.OnMean = 0 }},
		{"off-mean", func(p *Params) { p.OffMean = -1 }},
		{"pareto-alpha", func(p *Params) { p.ParetoAlpha = 1 }},
		{"diurnal", func(p *Params) { p.Diurnal = 1 }},
		{"diurnal-period", func(p *Params) { p.DiurnalPeriod = time.Millisecond }},
		{"abusive", func(p *Params) { p.Abusive = 1.5 }},
		{"abusive-rate", func(p *Params) { p.AbusiveRate = 1e7 }},
		{"duration", func(p *Params) { p.Duration = MaxOffset + 1 }},
	}
	for _, tt := range tests {
		p := DefaultParams()
		tt.set(&p)
		err := p.Check()
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tt.field {
			t.Errorf("%s: %v", tt.field, err)
		}
	}
}

// Memory does not grow with the requests: the generator holds its
// sources, nothing more.
func TestGenStreams(t *testing.T) {
	p := DefaultParams()
	p.Sources, p.Rate, p.Duration = 1000, 100000, 0
	g, err := NewGenerator(p)
	if err != nil {
		t.Fatal(err)
	}
	for range 1000 {
		g.Next()
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range 1_000_000 {
		if _, ok := g.Next(); !ok {
			t.Fatal("a generator without a duration ended")
		}
	}
	runtime.ReadMemStats(&after)
	if allocs := after.Mallocs - before.Mallocs; allocs > 100 {
		t.Errorf("%d allocations for a million requests, want none", allocs)
	}
}
