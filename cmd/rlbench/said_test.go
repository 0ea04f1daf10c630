package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/internal/redistest"
	"github.com/rlbench/rlbench/report"
)

// scripted is one answer of a scripted API: its status and what it says
// remains, and in how many seconds its window resets.
type scripted struct {
	status           int
	remaining, reset int
}

// scriptedAPI gives the answers of script in turn, in the draft-10 fields
// or, with x, the X-RateLimit ones.
func scriptedAPI(script []scripted, x bool) *httptest.Server {
	var mu sync.Mutex
	n := 0
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		a := script[min(n, len(script)-1)]
		n++
		mu.Unlock()
		if x {
			w.Header().Set("X-RateLimit-Remaining", fmt.Sprint(a.remaining))
			w.Header().Set("X-RateLimit-Reset", fmt.Sprint(a.reset))
		} else {
			w.Header().Set("RateLimit", fmt.Sprintf(`"default";r=%d;t=%d`, a.remaining, a.reset))
		}
		w.WriteHeader(a.status)
	}))
}

// TestMainRunTargetRemaining: an API whose remaining lies, in scripted
// ways, to one user sending one request after another: each lie is
// counted exactly once, under the promise that makes it one, and honest
// answers never are.
func TestMainRunTargetRemaining(t *testing.T) {
	const ok, no = http.StatusOK, http.StatusTooManyRequests
	for _, tt := range []struct {
		name   string
		algo   string // "" for no promise
		x      bool
		script []scripted
		want   report.Said // the remaining_ figures
		line   string
	}{
		{"an honest fixed window", "fixed", false,
			[]scripted{{ok, 2, 60}, {ok, 1, 59}, {ok, 0, 59}, {no, 0, 58}, {no, 0, 58}},
			report.Said{RemainingChecked: 4}, ""},
		{"5, 4, 7 in one fixed window", "fixed", false,
			[]scripted{{ok, 5, 60}, {ok, 4, 60}, {ok, 7, 60}},
			report.Said{RemainingChecked: 2, RemainingRose: 1},
			"said: http:fixed/closed: remaining rose with no reset to explain it in 1 of 2 answers checked"},
		{"5, 4, 7 in X-RateLimit", "fixed", true,
			[]scripted{{ok, 5, 60}, {ok, 4, 60}, {ok, 7, 60}},
			report.Said{RemainingChecked: 2, RemainingRose: 1}, ""},
		{"5, 4, 7 for a token bucket, which refills", "token", false,
			[]scripted{{ok, 5, 60}, {ok, 4, 60}, {ok, 7, 60}},
			report.Said{RemainingChecked: 2}, ""},
		{"5, 4, 7 with no promise", "", false,
			[]scripted{{ok, 5, 60}, {ok, 4, 60}, {ok, 7, 60}},
			report.Said{RemainingChecked: 2}, ""},
		{"a fixed window that resets", "fixed", false,
			[]scripted{{ok, 0, 0}, {ok, 9, 60}},
			report.Said{RemainingChecked: 1}, ""},
		{"admitted after remaining 0, the reset 60s away", "fixed", false,
			[]scripted{{ok, 0, 60}, {ok, 0, 60}, {no, 0, 60}},
			report.Said{RemainingChecked: 2, RemainingDisagreed: 1},
			"said: http:fixed/closed: 1 of 2 answers checked contradicted the remaining before them"},
		{"rejected after remaining 3", "sliding", false,
			[]scripted{{ok, 3, 60}, {no, 0, 60}},
			report.Said{RemainingChecked: 1, RemainingDisagreed: 1}, ""},
		{"rejected after remaining 3, no promise", "", false,
			[]scripted{{ok, 3, 60}, {no, 0, 60}, {no, 2, 60}, {no, 0, 60}},
			report.Said{RemainingChecked: 3, RemainingDisagreed: 2}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			api := scriptedAPI(tt.script, tt.x)
			defer api.Close()
			path := filepath.Join(t.TempDir(), "results.json")
			args := []string{"-q", "run", "--target", api.URL, "--requests", fmt.Sprint(len(tt.script)), "--concurrency", "1", "--timeout", "1m", "-o", path}
			if tt.algo != "" {
				args = append(args, "--algo", tt.algo, "--limit", "10", "--window", "1m")
			}
			io, out, errOut := newTestIO(nil, args...)
			if code := Main(io); code != 0 {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			f, err := report.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			s := f.Runs[0].Said
			if s == nil {
				t.Fatal("no said in the results")
			}
			got := report.Said{RemainingChecked: s.RemainingChecked, RemainingRose: s.RemainingRose, RemainingDisagreed: s.RemainingDisagreed}
			if got != tt.want {
				t.Errorf("said %+v\nwant %+v", got, tt.want)
			}
			if tt.line != "" && !strings.Contains(out.String(), tt.line+"\n") {
				t.Errorf("stdout lacks %q:\n%s", tt.line, out)
			}
		})
	}
}

// TestServeRemainingHonest: rlbench serve, on a real redis-server, driven
// by run --target from 50 workers over 200 users, 20 requests each against
// a limit of 5 per 10s, says remaining allowances that its decisions never
// contradict, for every atomic algorithm: not one rise and not one
// disagreement among the answers checked. Timeouts are long, so that a
// loaded machine makes no errors (a pass undecided would leave keys
// unchecked, which is sound, but checks less).
func TestServeRemainingHonest(t *testing.T) {
	s := redistest.Start(t)
	names, err := algorithms.ParseNames(algorithms.All)
	if err != nil {
		t.Fatal(err)
	}
	for _, algo := range names {
		t.Run(algo, func(t *testing.T) {
			addr, cancel, code, _, _ := startServe(t, map[string]string{"REDIS_URL": s.URL},
				"serve", "--addr", "127.0.0.1:0", "--algo", algo, "--limit", "5", "--window", "10s", "--key", "header:X-User", "--redis-timeout", "1m")
			defer func() { cancel(); <-code }()
			path := filepath.Join(t.TempDir(), "results.json")
			io, _, errOut := newTestIO(nil, "-q", "run", "--target", "http://"+addr+"/", "--algo", algo, "--limit", "5", "--window", "10s",
				"--key-header", "X-User", "--keys", "200", "--concurrency", "50", "--requests", "4000", "--timeout", "1m", "-o", path)
			if code := Main(io); code != 0 {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			f, err := report.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			r := f.Runs[0]
			t.Logf("%d sent, %d accepted; remaining checked in %d answers", r.Counts.Sent, r.Counts.Accepted, r.Said.RemainingChecked)
			if r.Said == nil || r.Said.RemainingChecked == 0 || r.Said.RemainingRose != 0 || r.Said.RemainingDisagreed != 0 {
				t.Errorf("said %+v; want answers checked, none rose, none disagreed", r.Said)
			}
			if r.Counts.Errors != 0 || r.Counts.Rejected == 0 || r.Accuracy.OverAdmitted != 0 {
				t.Errorf("counts %+v, over %d; want rejections, no errors, none over", r.Counts, r.Accuracy.OverAdmitted)
			}
		})
	}
}
