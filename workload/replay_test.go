package workload

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/target"
)

// sliceStream is a Stream of fixed arrivals, keys named k0, k1, ...
type sliceStream struct {
	arrivals []Arrival
	keys     int
	next     int
}

func (s *sliceStream) Next() (Arrival, bool) {
	if s.next == len(s.arrivals) {
		return Arrival{}, false
	}
	s.next++
	return s.arrivals[s.next-1], true
}
func (s *sliceStream) Err() error        { return nil }
func (s *sliceStream) Keys() int         { return s.keys }
func (s *sliceStream) Name(k int) string { return "k" + strconv.Itoa(k) }
func (s *sliceStream) Rate() float64     { return 10 }
func (s *sliceStream) String() string    { return "slice" }

var replayed = []Arrival{
	{0, 0, 1}, {0, 1, 3}, {100 * time.Millisecond, 0, 2}, {250 * time.Millisecond, 2, 1},
	{250 * time.Millisecond, 1, 1}, {900 * time.Millisecond, 0, 5}, {2 * time.Second, 2, 1},
}

// asked is one request a target saw: when, relative to the start, and what.
type asked struct {
	at   time.Duration
	key  string
	cost int64
}

func wantAsked(prefix string) []asked {
	var want []asked
	for _, a := range replayed {
		want = append(want, asked{a.Offset, prefix + ":k" + strconv.Itoa(a.Key), a.Cost})
	}
	return want
}

// A simulation decides each request of a replay at its offset, for its
// key, at its cost; admissions count its units.
func TestSimulateReplay(t *testing.T) {
	start := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	var got []asked
	cfg := Config{
		Name: "probe", Key: "run", Limit: algorithms.Limit{Requests: 100, Window: time.Second},
		Replay: NewReplay(&sliceStream{arrivals: replayed, keys: 3}, 1), Start: start,
	}
	res, err := Simulate(context.Background(), cfg, func(now time.Time, req target.Request) target.Outcome {
		got = append(got, asked{now.Sub(start), req.Key, req.Cost})
		return target.Outcome{Kind: target.Accepted, Said: target.Said{At: now}}
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := wantAsked("run"); !slices.Equal(got, want) {
		t.Errorf("decided\n%v\nwant\n%v", got, want)
	}
	if res.Sent != 7 || res.Accepted != 7 || res.EndedBy != EndedBySchedule {
		t.Errorf("sent %d, accepted %d, ended by %s", res.Sent, res.Accepted, res.EndedBy)
	}
	// Key k0 asked for 1+2+5 units within one second: 8 admissions.
	if res.Accuracy.Busiest.MostInWindow != 8 {
		t.Errorf("most admitted in a window %d, want 8 (costs count as units)", res.Accuracy.Busiest.MostInWindow)
	}
}

// recordingTarget admits everything and records what it was asked, and when.
type recordingTarget struct {
	start time.Time
	mu    sync.Mutex
	got   []asked
}

func (r *recordingTarget) Decide(_ context.Context, req target.Request) target.Outcome {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, asked{time.Since(r.start), req.Key, req.Cost})
	return target.Outcome{Kind: target.Accepted}
}

// In the open model each request of a replay goes out at its offset.
func TestRunReplay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now().Add(time.Second)
		rt := &recordingTarget{start: start}
		cfg := Config{
			Target: rt, Name: "probe", Key: "run", Limit: algorithms.Limit{Requests: 100, Window: time.Second},
			Replay: NewReplay(&sliceStream{arrivals: replayed, keys: 3}, 4), MaxInflight: 4, Start: start,
		}
		res, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		got := rt.got
		slices.SortStableFunc(got, func(a, b asked) int { return int(a.at - b.at) })
		want := wantAsked("run")
		slices.SortStableFunc(want, func(a, b asked) int { return int(a.at - b.at) })
		if len(got) != len(want) {
			t.Fatalf("asked %v, want %v", got, want)
		}
		for i := range got {
			// Requests due at one instant may go out in any order.
			if got[i].at != want[i].at || !slices.Contains(want, got[i]) {
				t.Errorf("asked %v, want %v", got, want)
				break
			}
		}
		if res.Sent != 7 || res.EndedBy != EndedBySchedule || res.Missed != 0 {
			t.Errorf("sent %d, ended by %s, missed %d", res.Sent, res.EndedBy, res.Missed)
		}
	})
}

// A replay stands for the pacer and the keys, and its ring must hold
// every request in flight.
func TestReplayConfig(t *testing.T) {
	base := Config{Target: &recordingTarget{}, Key: "run", Limit: algorithms.Limit{Requests: 1, Window: time.Second}, Requests: 1}
	p, _ := NewSteady(1)
	for name, c := range map[string]Config{
		"with a pacer":     {Replay: NewReplay(&sliceStream{keys: 1}, 1), Pacer: p},
		"too small a ring": {Replay: NewReplay(&sliceStream{keys: 1}, 1), MaxInflight: 1000},
	} {
		cfg := base
		cfg.Replay, cfg.Pacer, cfg.MaxInflight = c.Replay, c.Pacer, c.MaxInflight
		if _, err := Run(context.Background(), cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// A run's user keys are its trace's, whether asked before the run or during it.
func TestKeyName(t *testing.T) {
	for _, tt := range []struct {
		cfg  Config
		k    int
		want string
	}{
		{Config{Key: "user:1"}, 0, "user:1"},
		{Config{Key: "user:1", Keys: oneKey{}}, 0, "user:1"},
		{Config{Key: "user:1", Replay: NewReplay(&sliceStream{keys: 3}, 1)}, 0, "user:1:k0"},
		{Config{Key: "user:1", Replay: NewReplay(&sliceStream{keys: 3}, 1)}, 2, "user:1:k2"},
	} {
		if got := tt.cfg.KeyName(tt.k); got != tt.want {
			t.Errorf("KeyName(%d) of %+v = %q, want %q", tt.k, tt.cfg, got, tt.want)
		}
	}
}
