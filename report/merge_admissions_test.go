package report

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// keptRun gives f's run the kept admissions of keys, each a list of
// instants in µs, held to a sliding log's bound of 100 per second.
func keptRun(f *File, complete bool, keys map[string][]int64) {
	adm := &Admissions{Complete: complete}
	for _, name := range []string{"k0", "k1", "k2", "k3"} {
		instants, ok := keys[name]
		if !ok {
			continue
		}
		ka := KeyAdmissions{
			Key: name, WindowUS: 1_000_000, Bound: 100, BurstSpanUS: 10_000, BurstBound: 100, AlignedBound: -1,
			Instants: EncodeInstants(instants),
		}
		ka.Figures = KeyFigures(ka, instants, nil)
		adm.Keys = append(adm.Keys, ka)
	}
	f.Runs[0].Admissions = adm
}

// evenly is n instants from `from` µs, step µs apart.
func evenly(n int, from, step int64) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = from + int64(i)*step
	}
	return out
}

func TestMergeKeptAdmissionsIsExact(t *testing.T) {
	t.Parallel()
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	const s = int64(1_000_000)
	t.Run("four keys at their limit, at different times", func(t *testing.T) {
		// Each generator admits 100 per key, one in its first second, the
		// other two seconds later: each key saw 100 in any window, never 200.
		a := generatorFile(t, 1, start, spread(10, 1000, 10), spread(10, 1000, 10))
		b := generatorFile(t, 2, start.Add(time.Millisecond), spread(10, 1000, 10), spread(10, 1000, 10))
		keysA, keysB := map[string][]int64{}, map[string][]int64{}
		for _, k := range []string{"k0", "k1", "k2", "k3"} {
			keysA[k] = evenly(100, 10*s, 9_000)
			keysB[k] = evenly(100, 12*s, 9_000)
		}
		keptRun(a, true, keysA)
		keptRun(b, true, keysB)
		m, err := Merge(a, b)
		if err != nil {
			t.Fatal(err)
		}
		acc := m.Runs[0].Accuracy
		if acc.MaxAdmittedInWindow != 100 || acc.OverAdmitted != 0 || acc.OverAdmittedAtMost != 0 || acc.KeysOverBound != 0 || acc.Keys != 4 {
			t.Errorf("merged accuracy %+v, want 100 in a window, 0 over, 4 keys", acc)
		}
		if got := m.Runs[0].Admissions; got == nil || !got.Complete || len(got.Keys) != 4 {
			t.Fatalf("merged admissions %+v, want all four keys, complete", got)
		}
		// The merged file merges again: keep what the next merge needs.
		instants, err := DecodeInstants(m.Runs[0].Admissions.Keys[2].Instants)
		if err != nil || len(instants) != 200 {
			t.Errorf("merged key k2 keeps %d instants (%v), want 200", len(instants), err)
		}
	})
	t.Run("an over-admission across generators", func(t *testing.T) {
		// 100 on k1 from one generator and 30 in the same second from the
		// other: 130 against 100, which neither generator saw alone.
		a := generatorFile(t, 1, start, spread(10, 1000, 10), spread(10, 1000, 10))
		b := generatorFile(t, 2, start.Add(time.Millisecond), spread(10, 1000, 10), spread(10, 1000, 10))
		keptRun(a, true, map[string][]int64{"k0": evenly(50, 10*s, 1_000), "k1": evenly(100, 10*s, 5_000)})
		keptRun(b, true, map[string][]int64{"k0": evenly(50, 13*s, 1_000), "k1": evenly(30, 10*s+200_000, 10_000)})
		m, err := Merge(a, b)
		if err != nil {
			t.Fatal(err)
		}
		acc := m.Runs[0].Accuracy
		if acc.WorstKey != "k1" || acc.MaxAdmittedInWindow != 130 || acc.Bound != 100 || acc.OverAdmitted != 30 || acc.KeysOverBound != 1 {
			t.Errorf("merged accuracy %+v, want worst key k1 with 130 against 100, 30 over on 1 key", acc)
		}
		if len(acc.WorstKeys) != 2 || acc.WorstKeys[1].Key != "k0" || acc.WorstKeys[1].MaxAdmittedInWindow != 50 {
			t.Errorf("worst keys %+v, want k1 then k0 with 50", acc.WorstKeys)
		}
	})
	t.Run("admissions not all kept give an interval", func(t *testing.T) {
		a := generatorFile(t, 1, start, spread(10, 1000, 10), spread(10, 1000, 10))
		b := generatorFile(t, 2, start.Add(time.Millisecond), spread(10, 1000, 10), spread(10, 1000, 10))
		keptRun(a, true, map[string][]int64{"k0": evenly(90, 10*s, 1_000)})
		keptRun(b, false, map[string][]int64{"k0": evenly(90, 10*s, 1_000)})
		// b kept only 40 of its 90.
		k := &b.Runs[0].Admissions.Keys[0]
		k.Instants = EncodeInstants(evenly(40, 10*s, 1_000))
		m, err := Merge(a, b)
		if err != nil {
			t.Fatal(err)
		}
		acc := m.Runs[0].Accuracy
		if acc.MaxAdmittedInWindow != 130 || acc.MaxAdmittedInWindowAtMost != 180 || acc.OverAdmitted != 30 || acc.OverAdmittedAtMost != 80 {
			t.Errorf("merged accuracy %+v, want 130 to 180 in a window, 30 to 80 over", acc)
		}
		if m.Runs[0].Admissions.Complete {
			t.Error("merged admissions say complete, but file 2 kept only some")
		}
	})
}

func TestMergeRefusesWhatCannotBeOneRun(t *testing.T) {
	t.Parallel()
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		change func(a, b *File)
		want   string
	}{
		{"same generator twice", func(a, b *File) { b.GeneratorID = a.GeneratorID },
			"files 1 and 2 both hold generator_id generator-1: one generator's results given twice, or two generators given the same --generator-id"},
		{"one generator already in a merged file", func(a, b *File) { b.GeneratorID, b.GeneratorIDs = "", []string{"generator-3", "generator-1"} },
			"files 1 and 2 both hold generator_id generator-1"},
		{"other start-at", func(a, b *File) {
			a.Config.StartAt, b.Config.StartAt = start, start.Add(500*time.Millisecond)
		}, `config.start_at is "2025-03-01T12:00:00Z" in file 1 but "2025-03-01T12:00:00.5Z" in file 2`},
		{"start-at in one only", func(a, b *File) { b.Config.StartAt = start },
			`config.start_at is absent in file 1 but "2025-03-01T12:00:00Z" in file 2`},
		{"same start without generator ids", func(a, b *File) { a.GeneratorID, b.GeneratorID = "", ""; b.StartedAt = a.StartedAt },
			"files 1 and 2 started at the same instant"},
		{"did not run together", func(a, b *File) {
			b.StartedAt, b.EndedAt = a.EndedAt.Add(time.Minute), a.EndedAt.Add(2*time.Minute)
		}, "file 1 ended at 2025-03-01T12:00:02Z, before file 2 started at 2025-03-01T12:01:02Z"},
		{"other run id", func(a, b *File) { b.Config.RunID = "other" },
			`config.run_id is "" in file 1 but "other" in file 2`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := generatorFile(t, 1, start, spread(10, 1000, 10), spread(10, 1000, 10))
			b := generatorFile(t, 2, start.Add(time.Millisecond), spread(10, 1000, 10), spread(10, 1000, 10))
			tt.change(a, b)
			_, err := Merge(a, b)
			if !errors.Is(err, ErrMergeMismatch) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Merge = %v, want ErrMergeMismatch saying %q", err, tt.want)
			}
		})
	}
}

func TestInstantsRoundTrip(t *testing.T) {
	t.Parallel()
	for _, values := range [][]int64{nil, {0}, {1_764_000_000_000_000, 1_764_000_000_000_000, 1_764_000_000_000_007}, {-5, 9, -1 << 62, 1 << 62}} {
		got, err := DecodeInstants(EncodeInstants(values))
		if err != nil || len(got) != len(values) {
			t.Fatalf("round trip of %v = %v, %v", values, got, err)
		}
		for i := range got {
			if got[i] != values[i] {
				t.Errorf("round trip of %v = %v", values, got)
			}
		}
	}
	if _, err := DecodeInstants("not base64!"); !errors.Is(err, ErrBadInstants) {
		t.Errorf("DecodeInstants of bad base64 = %v, want ErrBadInstants", err)
	}
	if _, err := DecodeInstants("gA=="); !errors.Is(err, ErrBadInstants) {
		t.Errorf("DecodeInstants of a truncated varint = %v, want ErrBadInstants", err)
	}
}

func FuzzDecodeInstants(f *testing.F) {
	f.Add(EncodeInstants([]int64{1, 2, 3}))
	f.Add("gA==")
	f.Fuzz(func(t *testing.T, s string) {
		values, err := DecodeInstants(s)
		if err != nil {
			return
		}
		again, err := DecodeInstants(EncodeInstants(values))
		if err != nil || len(again) != len(values) {
			t.Fatalf("re-encoding %v gives %v, %v", values, again, err)
		}
	})
}

func TestUnknownWidensEachSpan(t *testing.T) {
	t.Parallel()
	unknown := []Span{{0, 10}, {500, 600}, {1500, 1600}, {1590, 1700}}
	for _, tt := range []struct {
		span int64
		want int64
	}{{1, 2}, {100, 2}, {1000, 3}, {2000, 4}} {
		if got := MaxUnknownInSpan(unknown, tt.span); got != tt.want {
			t.Errorf("MaxUnknownInSpan(span %d) = %d, want %d", tt.span, got, tt.want)
		}
	}
	if got := MaxUnknownInAlignedWindow(unknown, 1000); got != 2 {
		t.Errorf("MaxUnknownInAlignedWindow = %d, want 2", got)
	}
	if most, start := MaxInAlignedWindow([]int64{990, 999, 1000, 1500}, 1000); most != 2 || start != 0 {
		t.Errorf("MaxInAlignedWindow = %d from %d, want 2 from 0, the first of the busiest", most, start)
	}
}
