package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestMainFlagsThatDoNotApply: a flag that nothing in the run would read
// is refused, exit 2, with one line that says what it applies to, before
// anything connects (REDIS_URL points at a closed port).
func TestMainFlagsThatDoNotApply(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"rate with closed", []string{"run", "--rate", "500"},
			"--rate applies to --workload steady, bursty, poisson, ramp or synthetic, not closed: closed runs --concurrency workers back to back"},
		{"rate with window-edge", []string{"run", "--workload", "window-edge", "--rate", "500"},
			"--rate applies to --workload steady, bursty, poisson, ramp or synthetic, not window-edge"},
		{"rate-start without ramp", []string{"run", "--workload", "steady", "--rate-start", "5"},
			"--rate-start applies to --workload ramp, not steady"},
		{"concurrency with an open workload", []string{"run", "--workload", "steady", "--concurrency", "4"},
			"--concurrency applies to --workload closed, not steady: open workloads keep to a schedule, with at most --max-inflight requests in flight"},
		{"burst-size with closed", []string{"run", "--burst-size", "5"},
			"--burst-size applies to --workload bursty or window-edge, not closed: closed runs --concurrency workers back to back"},
		{"burst-size with poisson", []string{"run", "--workload", "poisson", "--burst-size", "5"},
			"--burst-size applies to --workload bursty or window-edge, not poisson"},
		{"burst-every without bursty", []string{"run", "--workload", "window-edge", "--burst-every", "1s"},
			"--burst-every applies to --workload bursty, not window-edge"},
		{"edge-offset without window-edge", []string{"run", "--workload", "bursty", "--edge-offset", "1ms"},
			"--edge-offset applies to --workload window-edge, not bursty"},
		{"max-inflight with closed", []string{"run", "--max-inflight", "8"},
			"--max-inflight applies to --workload steady, bursty, window-edge, poisson, ramp, trace or synthetic, not closed: closed runs --concurrency workers back to back"},
		{"miss-after with closed", []string{"run", "--miss-after", "5ms"},
			"--miss-after applies to --workload steady, bursty, window-edge, poisson, ramp, trace or synthetic, not closed"},
		{"key-dist with one key", []string{"run", "--key-dist", "zipf"},
			"--key-dist applies with --keys above 1: one key has no distribution"},
		{"zipf-s without zipf", []string{"run", "--keys", "10", "--zipf-s", "2"},
			"--zipf-s applies with --key-dist zipf, not uniform"},
		{"burst without a bucket", []string{"run", "--algo", "fixed,sliding", "--burst", "5"},
			"--burst applies only to token, leaky, gcra, seed-leaky, and --algo fixed,sliding has none of them"},
		{"burst with tiers", []string{"run", "--algo", "token", "--keys", "10", "--tier", "a=10/1s:1", "--burst", "5"},
			"--burst does not apply with --tier: every key has its tier's limit, and a bucket's capacity is the tier's requests"},
		{"limit with tiers", []string{"run", "--keys", "10", "--tier", "a=10/1s:1", "--limit", "5"},
			"--limit does not apply with --tier: every key has its tier's limit"},
		{"limit with tiers and a burst size", []string{"run", "--workload", "bursty", "--burst-size", "3", "--keys", "10", "--tier", "a=10/1s:1", "--limit", "5"},
			"--limit does not apply with --tier: every key has its tier's limit"},
		{"window with tiers", []string{"run", "--workload", "steady", "--keys", "10", "--tier", "a=10/1s:1", "--window", "5s"},
			"--window does not apply with --tier: every key has its tier's limit and window"},
		{"bench: concurrency with open workloads", []string{"bench", "--concurrency", "4"},
			"--concurrency applies to --workload closed, not steady, bursty or window-edge: open workloads keep"},
		{"bench: rate with closed and window-edge", []string{"bench", "--workload", "closed,window-edge", "--rate", "5"},
			"--rate applies to --workload steady, bursty, poisson, ramp or synthetic, not closed or window-edge"},
		{"bench: limit with sweep", []string{"bench", "--sweep", "limit=10,100", "--limit", "5"},
			"--limit does not apply with --sweep limit=10,100, which gives each run its limit"},
		{"bench: sweep with tiers", []string{"bench", "--sweep", "limit=10,100", "--keys", "10", "--tier", "a=10/1s:1"},
			"--sweep does not apply with --tier: every key has its tier's limit, which a sweep cannot change"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io, out, errOut := newTestIO(map[string]string{"REDIS_URL": "redis://127.0.0.1:1/0"}, tt.args...)
			if code := Main(io); code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			msg := errOut.String()
			if !strings.HasPrefix(msg, "rlbench: "+tt.want) || strings.Count(msg, "\n") != 1 {
				t.Errorf("stderr %q, want one line starting %q", msg, "rlbench: "+tt.want)
			}
			if out.Len() > 0 {
				t.Errorf("stdout %q, want nothing", out)
			}
		})
	}
}

// TestFlagsThatApply: the same flags are taken where something reads them,
// also when only some of a bench's workloads do.
func TestFlagsThatApply(t *testing.T) {
	runs := [][]string{
		{"--workload", "bursty", "--rate", "5", "--burst-size", "3", "--burst-every", "1s", "--max-inflight", "8", "--miss-after", "5ms"},
		{"--workload", "window-edge", "--burst-size", "3", "--edge-offset", "1ms"},
		{"--workload", "ramp", "--rate-start", "1", "--rate", "5", "--duration", "1s"},
		{"--keys", "10", "--key-dist", "zipf", "--zipf-s", "2", "--concurrency", "4"},
		{"--algo", "fixed,token", "--burst", "5"},
		{"--workload", "window-edge", "--keys", "10", "--tier", "a=10/1s:1", "--window", "2s", "--limit", "4"},
		{"--workload", "bursty", "--keys", "10", "--tier", "a=10/1s:1", "--window", "2s", "--limit", "4"},
	}
	for _, args := range runs {
		t.Run("run "+strings.Join(args, " "), func(t *testing.T) {
			io, out, errOut := newTestIO(nil, append([]string{"run"}, args...)...)
			ran := false
			if err := newCmdRoot(io, func(*RunOptions) error { ran = true; return nil }).Execute(); err != nil || !ran {
				t.Errorf("refused: %v", err)
			}
			if out.Len()+errOut.Len() > 0 {
				t.Errorf("printed %q and %q", out, errOut)
			}
		})
	}
	benches := [][]string{
		{"--workload", "closed,steady", "--concurrency", "4", "--rate", "5", "--max-inflight", "8"},
		{"--rate", "5", "--burst-every", "10ms", "--edge-offset", "1ms"},
		{"--sweep", "limit=10,100", "--burst", "5"},
	}
	for _, args := range benches {
		t.Run("bench "+strings.Join(args, " "), func(t *testing.T) {
			io, _, _ := newTestIO(nil)
			ran := false
			cmd := NewCmdBench(io, &GlobalOptions{Format: "table"}, func(*BenchOptions) error { ran = true; return nil })
			cmd.SetArgs(args)
			if err := cmd.Execute(); err != nil || !ran {
				t.Errorf("refused: %v", err)
			}
		})
	}
}

// TestMainUnusedGlobalsWarn: a global flag that a command ignores is
// harmless, so it is warned of, one line each, and the command runs.
func TestMainUnusedGlobalsWarn(t *testing.T) {
	io, out, errOut := newTestIO(nil, "--redis", "redis://127.0.0.1:1/0", "--seed", "7", "--format", "json", "version")
	if code := Main(io); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	want := "rlbench: warning: rlbench version ignores --redis\n" +
		"rlbench: warning: rlbench version ignores --seed\n" +
		"rlbench: warning: rlbench version ignores --format\n"
	if errOut.String() != want {
		t.Errorf("stderr %q, want %q", errOut, want)
	}
	if !strings.HasPrefix(out.String(), "rlbench ") {
		t.Errorf("stdout %q, want the version", out)
	}

	io, _, errOut = newTestIO(nil, "--redis", "redis://127.0.0.1:1/0", "--format", "csv", "report", "missing.json")
	if code := Main(io); code != exitUsage {
		t.Errorf("report of a missing file: exit %d, want %d", code, exitUsage)
	}
	if msg := errOut.String(); !strings.HasPrefix(msg, "rlbench: warning: rlbench report ignores --redis\nrlbench: read results file") {
		t.Errorf("stderr %q, want the --redis warning then the error (report reads --format)", msg)
	}
}

// TestMainHelpOneDefault: every command's --help states each flag's default
// once, on the flag's own line, never again in the text around it.
func TestMainHelpOneDefault(t *testing.T) {
	flagLine := regexp.MustCompile(`^\s+(-\w, )?--[a-z-]+`)
	for _, command := range [][]string{{}, {"run"}, {"bench"}, {"report"}, {"report", "merge"}, {"compare"}, {"version"}, {"completion"}, {"completion", "bash"}} {
		t.Run(strings.Join(append([]string{"rlbench"}, command...), " "), func(t *testing.T) {
			io, out, errOut := newTestIO(nil, append(command, "--help")...)
			if code := Main(io); code != 0 {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			for _, line := range strings.Split(out.String(), "\n") {
				if n := strings.Count(strings.ToLower(line), "default"); n > 1 {
					t.Errorf("%d defaults in %q", n, line)
				}
				if !flagLine.MatchString(line) && strings.Contains(line, "(default ") {
					t.Errorf("a default outside its flag's line: %q", line)
				}
			}
		})
	}
}
