package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/internal/redistest"
	"github.com/rlbench/rlbench/report"
)

// TestPipelineBadInput: --pipeline takes 1 to 10000 and goes only where
// batches can: each refusal is one line naming why, exit 2, nothing run.
func TestPipelineBadInput(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"zero", []string{"run", "--pipeline", "0"}, "invalid --pipeline 0: want 1 (one request per round trip) to 10000"},
		{"negative", []string{"run", "--pipeline", "-4"}, "invalid --pipeline -4: want 1 (one request per round trip) to 10000"},
		{"too large", []string{"run", "--pipeline", "10001"}, "invalid --pipeline 10001: out of range, want at most 10000"},
		{"huge", []string{"run", "--pipeline", "99999999999999999999"}, `invalid --pipeline "99999999999999999999": out of range`},
		{"not a number", []string{"run", "--pipeline", "16x"}, `invalid --pipeline "16x": want a whole number`},
		{"open workload", []string{"run", "--workload", "steady", "--pipeline", "16"},
			"--pipeline applies to --workload closed, not steady: open workloads send each request at its own slot"},
		{"bench of open workloads", []string{"bench", "--workload", "steady,bursty", "--pipeline", "16"}, "--pipeline applies to --workload closed, not steady or bursty"},
		{"http target", []string{"run", "--target", "http://127.0.0.1:1/", "--pipeline", "16"}, "--pipeline does not apply with --target"},
		{"polite", []string{"run", "--honor-retry-after", "--pipeline", "16"}, "--pipeline does not apply with --honor-retry-after"},
		{"seed replay", []string{"run", "--algo", "fixed,seed-leaky", "--pipeline", "16"}, "--pipeline applies to the atomic algorithms and baseline, not seed-leaky"},
		{"seed in a bench", []string{"bench", "--algo", "seed-fixed", "--workload", "closed", "--pipeline", "2"}, "not seed-fixed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io, out, errOut := newTestIO(nil, tt.args...)
			if code := Main(io); code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			msg := errOut.String()
			if !strings.HasPrefix(msg, "rlbench: ") || strings.Count(msg, "\n") != 1 || !strings.Contains(msg, tt.want) {
				t.Errorf("stderr %q, want one line saying %q", msg, tt.want)
			}
			if out.Len() > 0 {
				t.Errorf("stdout %q, want nothing: no run started", out)
			}
		})
	}
}

// TestMainRunPipelineRealRedis: every atomic algorithm and the baseline
// pipelined on redis-server, 16 workers × 16: each admits exactly its
// limit; the header and the results file say pipeline 16, and a note says
// latency is per batch.
func TestMainRunPipelineRealRedis(t *testing.T) {
	srv := redistest.Start(t)
	path := filepath.Join(t.TempDir(), "r.json")
	io, out, errOut := newTestIO(map[string]string{"REDIS_URL": srv.URL}, "run", "--algo", "all,baseline",
		"--requests", "1000", "--concurrency", "16", "--pipeline", "16", "--limit", "100", "--window", "1h", "-o", path)
	if code := Main(io); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if header, _, _ := strings.Cut(out.String(), "\n"); !strings.Contains(header, "workload closed, 16 workers, pipeline 16 ·") {
		t.Errorf("header %q does not say pipeline 16", header)
	}
	if !strings.Contains(out.String(), "\nlatency per batch of 16: ") {
		t.Errorf("no note that latency is per batch:\n%s", out)
	}
	f, err := report.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Config.Pipeline != 16 {
		t.Errorf("config.pipeline %d, want 16", f.Config.Pipeline)
	}
	for _, r := range f.Runs {
		want := int64(100)
		if r.Algorithm == algorithms.BaselineName {
			want = 1000
		}
		if r.Counts.Sent != 1000 || r.Counts.Accepted != want || r.Counts.Errors+r.Counts.Unknown != 0 || r.Schedule != "closed, 16 workers, pipeline 16" {
			t.Errorf("%s: sent %d, accepted %d, errors %d, unknown %d, schedule %q; want 1000, %d, 0, 0, pipeline 16",
				r.Algorithm, r.Counts.Sent, r.Counts.Accepted, r.Counts.Errors, r.Counts.Unknown, r.Schedule, want)
		}
	}
	t.Logf("\n%s", out)
}
