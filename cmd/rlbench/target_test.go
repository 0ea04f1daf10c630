package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/report"
	"github.com/rlbench/rlbench/serve"
)

// countingAPI admits the first admit requests of each X-User and answers
// 429 after: a limiter whose window never ends within the test.
func countingAPI(admit int) *httptest.Server {
	var mu sync.Mutex
	seen := map[string]int{}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Header.Get("X-User")]++
		n := seen[r.Header.Get("X-User")]
		mu.Unlock()
		if n > admit {
			w.Header().Set("Retry-After", "60")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
}

// TestMainRunTarget holds real HTTP APIs to a sliding log's promise of 100
// a minute per user: one that admits exactly 100 per user passes, with
// every count exact; one that admits 130 is caught, by 30 on each of the
// three users, whatever the round trips.
func TestMainRunTarget(t *testing.T) {
	for _, tt := range []struct {
		name        string
		admit       int
		wantOver    int64
		wantAccepts int64
	}{
		{"keeps its promise", 100, 0, 300},
		{"lets 130 through", 130, 90, 390},
	} {
		t.Run(tt.name, func(t *testing.T) {
			api := countingAPI(tt.admit)
			defer api.Close()
			path := filepath.Join(t.TempDir(), "results.json")
			io, _, errOut := newTestIO(nil, "-q", "run", "--target", api.URL, "--algo", "sliding", "--limit", "100",
				"--window", "1m", "--key-header", "X-User", "--keys", "3", "--requests", "600", "--concurrency", "8", "-o", path)
			if code := Main(io); code != 0 {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			f, err := report.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			r := f.Runs[0]
			if r.Algorithm != "http:sliding" || f.Target.Kind != "http" || f.Config.Clock != "client" {
				t.Errorf("run %q on %q, clock %q; want http:sliding on http, client", r.Algorithm, f.Target.Kind, f.Config.Clock)
			}
			if r.Counts.Sent != 600 || r.Counts.Accepted != tt.wantAccepts || r.Counts.Rejected != 600-tt.wantAccepts || r.Counts.Errors != 0 {
				t.Errorf("counts %+v; want 600 sent, %d accepted, the rest rejected", r.Counts, tt.wantAccepts)
			}
			if r.Accuracy.Bound != 100 || r.Accuracy.OverAdmitted != tt.wantOver || r.Accuracy.MaxAdmittedInWindow != 100+tt.wantOver/3 {
				t.Errorf("most in a window %d, bound %d, over %d in all; want %d, 100, %d",
					r.Accuracy.MaxAdmittedInWindow, r.Accuracy.Bound, r.Accuracy.OverAdmitted, 100+tt.wantOver/3, tt.wantOver)
			}
		})
	}
}

// TestMainRunTargetNoPromise: without --algo the run counts what was
// admitted and gives no verdict.
func TestMainRunTargetNoPromise(t *testing.T) {
	api := countingAPI(5)
	defer api.Close()
	io, out, errOut := newTestIO(nil, "-q", "--format", "csv", "run", "--target", api.URL, "--requests", "20", "--concurrency", "2")
	if code := Main(io); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	rows := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(rows) != 2 || !strings.HasPrefix(rows[1], "http,closed,") {
		t.Fatalf("csv %q, want one run named http", out)
	}
	cols, cells := strings.Split(rows[0], ","), strings.Split(rows[1], ",")
	got := map[string]string{}
	for i, c := range cols {
		got[c] = cells[i]
	}
	if got["accepted"] != "5" || got["rejected"] != "15" || got["bound"] != "-1" || got["over_admitted"] != "0" {
		t.Errorf("accepted %s rejected %s bound %s over %s; want 5, 15, -1, 0", got["accepted"], got["rejected"], got["bound"], got["over_admitted"])
	}
}

// TestMainRunTargetBadInput: HTTP flags are one line and exit 2, before
// anything is sent.
func TestMainRunTargetBadInput(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--target", "ftp://x"}, `invalid --target "ftp://x": want http:// or https://`},
		{[]string{"run", "--method", "POST"}, "--method applies with --target URL, which this run has not"},
		{[]string{"run", "--target", "http://127.0.0.1:1/", "--client-clock"}, "--client-clock does not apply with --target"},
		{[]string{"run", "--target", "http://127.0.0.1:1/", "--header", "nocolon"}, "invalid --header"},
		{[]string{"run", "--target", "http://127.0.0.1:1/", "--body", "a", "--body-file", "b"}, "--body and --body-file go one at a time"},
		{[]string{"run", "--target", "http://127.0.0.1:1/", "--burst", "5"}, "--burst with --target needs --algo"},
	} {
		io, out, errOut := newTestIO(nil, tt.args...)
		code := Main(io)
		msg := errOut.String()
		if code != exitUsage || !strings.Contains(msg, tt.want) || strings.Count(msg, "\n") != 1 || out.Len() > 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line with %q", tt.args, code, msg, tt.want)
		}
	}
}

// TestMainRunTargetJWTTiers: run --target with --jwt-secret-file mints each
// simulated user a token with its tier as the role, and a real rlbench
// serve middleware in JWT mode gives each exactly its role's limit: two
// free users 5 each, two premium users 12 each, with no over-admission
// against each tier's own promise.
func TestMainRunTargetJWTTiers(t *testing.T) {
	secret := []byte("s3cret-for-tests")
	jwtAuth, err := serve.NewJWT(secret, map[string]algorithms.Limit{
		"free":    {Requests: 5, Window: 10 * time.Minute},
		"premium": {Requests: 12, Window: 10 * time.Minute},
	})
	if err != nil {
		t.Fatal(err)
	}
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	defer rdb.Close()
	limiter, err := algorithms.New("sliding", rdb, algorithms.Options{})
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(serve.Middleware(serve.Options{Limiter: limiter, Identify: jwtAuth.Identify})(serve.Handler()))
	defer api.Close()
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, append(secret, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "results.json")
	io, _, errOut := newTestIO(nil, "-q", "--seed", "1", "run", "--timeout", "30s", "--target", api.URL, "--jwt-secret-file", secretFile,
		"--algo", "sliding", "--keys", "4", "--tier", "free=5/10m:0.5", "--tier", "premium=12/10m:0.5",
		"--requests", "200", "--concurrency", "4", "-o", path)
	if code := Main(io); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	f, err := report.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := f.Runs[0]
	if r.Counts.Accepted != 2*5+2*12 || r.Counts.Errors != 0 || r.Accuracy.OverAdmitted != 0 {
		t.Errorf("accepted %d, errors %d, over %d; want 34, 0, 0", r.Counts.Accepted, r.Counts.Errors, r.Accuracy.OverAdmitted)
	}
	admitted := map[string]int64{}
	for _, k := range r.Admissions.Keys {
		admitted[k.Tier] += k.Figures.Admitted
	}
	if admitted["free"] != 10 || admitted["premium"] != 24 {
		t.Errorf("admitted by tier %v, want free 10, premium 24", admitted)
	}
}

// TestMainRunTargetChecksWhatItSays: an API that declares 50 a minute in
// RateLimit-Policy but admits 80 per user, and answers its 429s with no
// Retry-After or reset, is told so: both in the results file and as one
// line under the table.
func TestMainRunTargetChecksWhatItSays(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Header.Get("X-User")]++
		n := seen[r.Header.Get("X-User")]
		mu.Unlock()
		w.Header().Set("RateLimit-Policy", `"default";q=50;w=60`)
		if n > 80 {
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer api.Close()
	path := filepath.Join(t.TempDir(), "results.json")
	io, out, errOut := newTestIO(nil, "-q", "run", "--target", api.URL, "--algo", "sliding", "--limit", "100",
		"--window", "1m", "--key-header", "X-User", "--requests", "100", "--concurrency", "4", "-o", path)
	if code := Main(io); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	f, err := report.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := report.Said{Rejected: 20, RejectedWithoutRetry: 20, DeclaredQuota: 50, DeclaredWindowUS: 60_000_000}
	if s := f.Runs[0].Said; s == nil || *s != want {
		t.Errorf("said %+v, want %+v", s, want)
	}
	line := "said: http:sliding/closed: 20 of 20 rejections gave no Retry-After or reset; declared a quota of 50 per 1m but admitted 80 in one"
	if !strings.Contains(out.String(), line+"\n") {
		t.Errorf("stdout lacks %q:\n%s", line, out)
	}
}

// TestMainHonorRetryAfter: polite clients wait out each Retry-After; the
// results file and a line under the table say how often and how long.
// (The exact figures are TestHonorRetryAfter's, on the bubble's clock.)
func TestMainHonorRetryAfter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.json")
	io, out, errOut := newTestIO(nil, "-q", "run", "--algo", "token", "--limit", "5", "--window", "200ms",
		"--requests", "12", "--concurrency", "1", "--honor-retry-after", "-o", path)
	if code := Main(io); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	f, err := report.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c := f.Runs[0].Counts
	if !f.Config.HonorRetryAfter || c.Waited == 0 || c.WaitedUS == 0 || c.Accepted <= 5 {
		t.Errorf("config honor %v, waited %d for %dµs, accepted %d; want set, waits, more than the burst of 5",
			f.Config.HonorRetryAfter, c.Waited, c.WaitedUS, c.Accepted)
	}
	if !strings.Contains(out.String(), "polite: token/closed: ") {
		t.Errorf("no polite line under the table:\n%s", out)
	}
}

// TestMainRunTargetRetryRejectedAgain: an API whose Retry-After is a lie
// (it rejects the polite retry too) is caught with --honor-retry-after.
func TestMainRunTargetRetryRejectedAgain(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer api.Close()
	path := filepath.Join(t.TempDir(), "results.json")
	io, out, errOut := newTestIO(nil, "-q", "run", "--target", api.URL, "--honor-retry-after",
		"--requests", "2", "--concurrency", "1", "-o", path)
	if code := Main(io); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	f, err := report.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if s := f.Runs[0].Said; s == nil || s.Rejected != 2 || s.RetriedRejected != 1 || s.RejectedWithoutRetry != 0 {
		t.Errorf("said %+v, want 2 rejected, 1 of them a polite retry, none without retry information", s)
	}
	if line := "said: http/closed: 1 request rejected again at the time a Retry-After gave\n"; !strings.Contains(out.String(), line) {
		t.Errorf("stdout lacks %q:\n%s", line, out)
	}
}

// TestMainRunTargetSourceIPs: with --source-ips each simulated user
// reaches an API that keys on the client's address from its own loopback
// address, so an API admitting 5 per address admits 5 per user.
func TestMainRunTargetSourceIPs(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip, _, _ := strings.Cut(r.RemoteAddr, ":")
		mu.Lock()
		seen[ip]++
		n := seen[ip]
		mu.Unlock()
		if n > 5 {
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer api.Close()
	io, out, errOut := newTestIO(nil, "-q", "--seed", "1", "--format", "json", "run", "--timeout", "30s", "--target", api.URL, "--source-ips",
		"--keys", "3", "--requests", "60", "--concurrency", "3")
	if code := Main(io); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	f, err := readPrinted(t, out)
	if err != nil {
		t.Fatal(err)
	}
	if c := f.Runs[0].Counts; c.Accepted != 15 || c.Rejected != 45 {
		t.Errorf("accepted %d, rejected %d; want 5 for each of 3 users, 45 rejected", c.Accepted, c.Rejected)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 3 || seen["127.0.0.1"] == 0 || seen["127.0.0.2"] == 0 || seen["127.0.0.3"] == 0 {
		t.Errorf("requests by address %v, want from 127.0.0.1, .2 and .3", seen)
	}
	io, _, errOut = newTestIO(nil, "run", "--target", "http://example.com/", "--source-ips")
	if code := Main(io); code != exitUsage || !strings.Contains(errOut.String(), "want a loopback host") {
		t.Errorf("--source-ips to a remote host: exit %d, stderr %q; want 2 and why", code, errOut)
	}
}
