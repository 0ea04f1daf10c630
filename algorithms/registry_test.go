package algorithms_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/internal/redistest"
)

func TestParseNames(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
		wantErr  bool
	}{
		{"one", "sliding", []string{"sliding"}, false},
		{"all", "all", algorithms.Names(), false},
		{"all and a seed", "all,seed-fixed", append(algorithms.Names(), "seed-fixed"), false},
		{"order kept, duplicates dropped", "gcra, fixed,gcra", []string{"gcra", "fixed"}, false},
		{"baseline is not in all", "baseline,all", append([]string{"baseline"}, algorithms.Names()...), false},
		{"unknown", "sliding,nope", nil, true},
		{"empty", "", nil, true},
		{"trailing comma", "fixed,", nil, true},
		{"case matters", "Fixed", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := algorithms.ParseNames(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseNames(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, algorithms.ErrUnknownAlgorithm) {
				t.Errorf("error %v is not ErrUnknownAlgorithm", err)
			}
			if !equal(got, tt.want) {
				t.Errorf("ParseNames(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzParseNames checks that any input gives known names or an error that
// lists the valid ones, on one line.
func FuzzParseNames(f *testing.F) {
	for _, s := range []string{"all", "sliding,gcra", "seed-leaky", ",", "all,all", "x\ny"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		names, err := algorithms.ParseNames(in)
		if err != nil {
			if !strings.Contains(err.Error(), "valid names are all, fixed") {
				t.Errorf("error %q does not list the valid names", err)
			}
			return
		}
		for _, n := range names {
			if _, err := algorithms.New(n, nil, algorithms.Options{}); err != nil {
				t.Errorf("ParseNames(%q) gave %q, which New refuses: %v", in, n, err)
			}
		}
	})
}

func TestBaselineAllowsEverythingWithOnePing(t *testing.T) {
	_, rdb := startMini(t)
	counter := &commandCounter{}
	rdb.AddHook(counter)
	l, err := algorithms.New("baseline", rdb, algorithms.Options{})
	if err != nil {
		t.Fatal(err)
	}
	limit := algorithms.Limit{Requests: 1, Window: time.Second}
	ask(t, l, "b", limit, 1) // the connection's own handshake commands
	counter.n = 0
	if got := admitted(ask(t, l, "b", limit, 50)); got != 50 {
		t.Errorf("%d of 50 allowed, want all", got)
	}
	if counter.n != 50 {
		t.Errorf("%d commands for 50 decisions, want one PING each", counter.n)
	}
	if b := l.Bound(limit, time.Second); b != algorithms.NoBound {
		t.Errorf("Bound = %d, want NoBound", b)
	}
}

// TestUsesBurstMatchesTheBound: an algorithm says it uses the burst
// exactly when its promise moves with it, so that --burst is refused for
// the others rather than silently ignored.
func TestUsesBurstMatchesTheBound(t *testing.T) {
	small := algorithms.Limit{Requests: 100, Window: time.Minute}
	large := small
	large.Burst = 1000
	for _, name := range append(append(algorithms.Names(), algorithms.SeedNames()...), algorithms.BaselineName) {
		info, err := algorithms.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		p, err := algorithms.New(name, nil, algorithms.Options{})
		if err != nil {
			t.Fatal(err)
		}
		moves := p.Bound(small, time.Second) != p.Bound(large, time.Second)
		if moves != info.UsesBurst {
			t.Errorf("%s: UsesBurst %v, but its bound moves with the burst: %v", name, info.UsesBurst, moves)
		}
		if info.Title == "" || info.Cost == "" {
			t.Errorf("%s: title %q, cost %q; want both", name, info.Title, info.Cost)
		}
	}
	if _, err := algorithms.Lookup("nope"); !errors.Is(err, algorithms.ErrUnknownAlgorithm) {
		t.Errorf("Lookup(nope) = %v, want ErrUnknownAlgorithm", err)
	}
}

// TestPreloadLoadsEveryScript: after Preload every atomic algorithm's
// first decision is an EVALSHA that finds its script, with no EVAL.
func TestPreloadLoadsEveryScript(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client(t)
	ctx := t.Context()
	if err := rdb.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if err := algorithms.Preload(ctx, rdb); err != nil {
		t.Fatal(err)
	}
	evals := &evalCounter{}
	rdb.AddHook(evals)
	for _, name := range algorithms.Names() {
		l, err := algorithms.New(name, rdb, algorithms.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.AllowN(ctx, "preload", algorithms.Limit{Requests: 1, Window: time.Second}, 1); err != nil {
			t.Fatal(err)
		}
	}
	if n := evals.n.Load(); n != 0 {
		t.Errorf("%d EVALs after Preload, want 0: a script was missing", n)
	}
}

// evalCounter counts the EVALs a client sends: a script sent whole.
type evalCounter struct{ n atomic.Int64 }

func (c *evalCounter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *evalCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() == "eval" {
			c.n.Add(1)
		}
		return next(ctx, cmd)
	}
}
func (c *evalCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
