package main

import (
	"context"
	"strings"
	"testing"

	"github.com/rlbench/rlbench/report"
	"github.com/rlbench/rlbench/workload"
)

// headerLine is the summary line of a rendered table: the one that starts
// with "target ".
func headerLine(t *testing.T, out string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "target ") {
			return line
		}
	}
	t.Fatalf("no header line in\n%s", out)
	return ""
}

// TestMainHeadersDescribeWhatRan runs each workload briefly on the embedded
// Redis: the header names what shaped its traffic and nothing that did not
// (no workers for an open workload, no --limit that every tier overrides).
func TestMainHeadersDescribeWhatRan(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // between "target miniredis … at …" and " · clock server"
		not  []string
	}{
		{"closed, one worker", []string{"--concurrency", "1", "--requests", "5", "--window", "1h"},
			"workload closed, 1 worker · limit 100/1h · 1 key", nil},
		{"steady", []string{"--workload", "steady", "--rate", "1000", "--requests", "5"},
			"workload steady at 1000/s · limit 100/1m · 1 key", []string{"worker"}},
		{"poisson", []string{"--workload", "poisson", "--rate", "1000", "--requests", "5"},
			"workload poisson at 1000/s · limit 100/1m · 1 key", []string{"worker"}},
		{"ramp", []string{"--workload", "ramp", "--rate-start", "100", "--rate", "1000", "--duration", "50ms"},
			"workload ramp from 100/s to 1000/s over 50ms · limit 100/1m · 1 key", []string{"worker"}},
		{"bursty has no base rate unless given", []string{"--workload", "bursty", "--burst-size", "5", "--burst-every", "100ms", "--requests", "5"},
			"workload bursty, bursts of 5 every 100ms · limit 100/1m · 1 key", []string{"worker", "/s"}},
		{"bursty on a base rate", []string{"--workload", "bursty", "--rate", "50", "--burst-size", "5", "--burst-every", "100ms", "--requests", "5"},
			"workload bursty, bursts of 5 every 100ms on top of 50/s · limit 100/1m · 1 key", []string{"worker"}},
		{"window-edge", []string{"--workload", "window-edge", "--limit", "5", "--window", "100ms", "--edge-offset", "2ms", "--requests", "10"},
			"workload window-edge, bursts of 5 2ms before and after each 100ms boundary · limit 5/100ms · 1 key", []string{"worker"}},
		{"tiers instead of the limit", []string{"--keys", "4", "--tier", "a=10/1s:0.5", "--tier", "b=20/1s:0.5", "--requests", "8"},
			"workload closed, 10 workers · tiers a 10/1s (50%), b 20/1s (50%) · 4 keys uniform", []string{" limit "}},
		{"zipf keys", []string{"--keys", "4", "--key-dist", "zipf", "--zipf-s", "1.5", "--requests", "8"},
			"workload closed, 10 workers · limit 100/1m · 4 keys zipf s=1.5", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io, out, errOut := newTestIO(nil, append([]string{"-q", "run", "--algo", "fixed"}, tt.args...)...)
			if code := Main(io); code != 0 {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			header := headerLine(t, out.String())
			_, rest, _ := strings.Cut(header, " · ")
			got, _, _ := strings.Cut(rest, " · clock ")
			if got != tt.want {
				t.Errorf("header %q\nsays  %q\nwant  %q", header, got, tt.want)
			}
			for _, not := range tt.not {
				if strings.Contains(got, not) {
					t.Errorf("header %q mentions %q, which shaped nothing", header, not)
				}
			}
		})
	}
}

// TestMainBurstyRecordsNoRate: a bursty run without --rate records no rate,
// as none shaped it (the --rate default of 100 was recorded before).
func TestMainBurstyRecordsNoRate(t *testing.T) {
	io, out, errOut := newTestIO(nil, "-q", "--format", "json", "run", "--algo", "fixed", "--workload", "bursty",
		"--burst-size", "5", "--burst-every", "100ms", "--requests", "5")
	if code := Main(io); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	f, err := readPrinted(t, out)
	if err != nil {
		t.Fatal(err)
	}
	if c := f.Config; c.Rate != 0 || c.BaseRate != 0 || c.BurstSize != 5 || c.BurstEveryUS != 100_000 {
		t.Errorf("config rate %v base rate %v burst %d every %dµs; want 0, 0, 5, 100000", c.Rate, c.BaseRate, c.BurstSize, c.BurstEveryUS)
	}
}

// TestMainSweepHeaders: a sweep's header line gives its limits, its table
// a limit column, and the seed table and sweep table their workload.
func TestMainSweepHeaders(t *testing.T) {
	io, out, errOut := newTestIO(nil, "-q", "bench", "--algo", "fixed", "--workload", "closed", "--concurrency", "1",
		"--sweep", "limit=5,10", "--requests", "1", "--window", "1h")
	if code := Main(io); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	s := out.String()
	for _, want := range []string{
		"Rate Limiter Performance (Benchmark @ 1 request, closed, 1 worker, limit 5/1h, miniredis v",
		" · workload closed, 1 worker · limits 5/1h, 10/1h · 1 key · ",
		"Service time against the limit (closed, 1 worker, window 1h; mean / p99 µs):",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	full, _, _ := strings.Cut(s, "Service time against the limit")
	rows := tableRows(t, full)
	if h := rows["algorithm"]; len(h) < 3 || h[2] != "limit" {
		t.Errorf("table header %q, want a limit column after workload", h)
	}
}

func TestPlural(t *testing.T) {
	for _, tt := range []struct {
		n    int64
		want string
	}{{0, "requests"}, {1, "request"}, {2, "requests"}, {10000, "requests"}} {
		if got := report.Plural(tt.n, "request"); got != tt.want {
			t.Errorf("Plural(%d, request) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

// TestInterruptedCounts: the interrupted message counts in the singular
// and plural as the numbers need.
func TestInterruptedCounts(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		sent          int64
		done, planned int
		want          string
	}{
		{1, 1, 1, "(fixed sent 1 request; 1 of 1 run done)"},
		{2, 2, 3, "(fixed sent 2 requests; 2 of 3 runs done)"},
	}
	for _, tt := range tests {
		results := make([]workload.Result, tt.done)
		results[tt.done-1] = workload.Result{Algorithm: "fixed", Sent: tt.sent}
		if err := finish(ctx, results, tt.planned); err == nil || !strings.HasSuffix(err.Error(), tt.want) {
			t.Errorf("finish: %v, want it to end %q", err, tt.want)
		}
	}
}
