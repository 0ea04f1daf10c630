package algorithms_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rlbench/rlbench/algorithms"
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
