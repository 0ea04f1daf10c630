package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/internal/redistest"
	"github.com/rlbench/rlbench/report"
)

// TestServeRedisKilledMidRun: rlbench serve on a real redis-server, driven
// by run --target and held to a sliding log's promise of 10 a minute for
// one user, while the redis-server is killed mid-run. The run completes
// either way. Failing closed, every answer after the kill is a 503, counted
// as an http-5xx error and never as a rejection, and no more is admitted
// than before it: 10 (the timeout is long, so that no decision before the
// kill fails while Redis, slow, still makes it, and the client waits for
// every answer, however slow the machine). Failing open, every request after the kill passes,
// and each pass beyond the 10 is over-admission against the promise.
func TestServeRedisKilledMidRun(t *testing.T) {
	redis.SetLogger(discardLogger{}) // as SystemIO does: serve's dial failures are counted, not logged
	for _, policy := range []string{"closed", "open"} {
		t.Run(policy, func(t *testing.T) {
			s := redistest.Start(t)
			admin := s.Client(t)
			addr, cancel, code, _, _ := startServe(t, map[string]string{"REDIS_URL": s.URL},
				"serve", "--addr", "127.0.0.1:0", "--algo", "sliding", "--limit", "10", "--window", "1m",
				"--key", "header:X-User", "--on-redis-error", policy, "--redis-timeout", "10s")
			defer func() { cancel(); <-code }()

			path := filepath.Join(t.TempDir(), "results.json")
			io, out, errOut := newTestIO(nil, "-q", "run", "--target", "http://"+addr+"/", "--algo", "sliding",
				"--limit", "10", "--window", "1m", "--key-header", "X-User", "--concurrency", "2", "--requests", "3000", "--timeout", "30s", "-o", path)
			ran := make(chan int, 1)
			go func() { ran <- Main(io) }()
			// Kill Redis once it has decided 20 requests (its scripts'
			// calls), well before the run's 3000 are sent.
			deadline := time.Now().Add(30 * time.Second)
			for {
				stats, err := admin.Info(t.Context(), "commandstats").Result()
				if err != nil {
					t.Fatal(err)
				}
				if evalshaCalls(stats) >= 20 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("redis decided too few requests in 30s:\n%s", stats)
				}
				time.Sleep(5 * time.Millisecond)
			}
			s.Kill()
			exit := <-ran

			f, err := report.ReadFile(path)
			if err != nil {
				t.Fatalf("exit %d, stderr %q: %v", exit, errOut, err)
			}
			r := f.Runs[0]
			c := r.Counts
			t.Logf("exit %d; counts %+v; over %d", exit, c, r.Accuracy.OverAdmitted)
			if f.EndReason != report.EndCompleted || c.Sent != 3000 || c.Unknown != 0 {
				t.Errorf("end %s, %d sent, %d unknown; want completed, 3000, none unknown", f.EndReason, c.Sent, c.Unknown)
			}
			switch policy {
			case "closed":
				if c.Accepted != 10 || c.Rejected < 10 || c.Errors == 0 || c.ErrorsByClass["http-5xx"] != c.Errors {
					t.Errorf("counts %+v; want 10 accepted, the rest before the kill rejected, every error after it http-5xx", c)
				}
				if r.Said == nil || r.Said.Rejected != c.Rejected || r.Accuracy.OverAdmitted != 0 {
					t.Errorf("said %+v, over %d; want only the 429s rejected, none over", r.Said, r.Accuracy.OverAdmitted)
				}
				if line := "errors: http:sliding/closed: 0 timeout, 0 connection, 0 script, 0 other, "; exit != exitFailure ||
					!strings.Contains(out.String(), line) || !strings.Contains(out.String(), " http-5xx") {
					t.Errorf("exit %d, stdout:\n%s\nwant 1 and the 503s as http-5xx errors", exit, out)
				}
			case "open":
				if exit != 0 || c.Errors != 0 || c.Rejected < 10 || c.Accepted != 3000-c.Rejected {
					t.Errorf("exit %d, counts %+v; want 0, no errors, every request after the kill passed", exit, c)
				}
				if a := r.Accuracy; a.Bound != 10 || a.MaxAdmittedInWindow != c.Accepted || a.OverAdmitted != c.Accepted-10 {
					t.Errorf("most in a window %d, bound %d, over %d; want %d, 10, %d",
						a.MaxAdmittedInWindow, a.Bound, a.OverAdmitted, c.Accepted, c.Accepted-10)
				}
			}
		})
	}
}

// evalshaCalls is the calls= of cmdstat_evalsha in an INFO commandstats reply.
func evalshaCalls(stats string) int {
	_, rest, ok := strings.Cut(stats, "cmdstat_evalsha:calls=")
	if !ok {
		return 0
	}
	n := 0
	for _, ch := range rest {
		if ch < '0' || ch > '9' {
			break
		}
		n = n*10 + int(ch-'0')
	}
	return n
}
