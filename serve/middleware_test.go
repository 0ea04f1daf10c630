package serve_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/dunglas/httpsfv"
	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/internal/redistest"
	"github.com/rlbench/rlbench/serve"
)

// noon is an instant on an hour boundary, so that a fixed window of an
// hour starts there.
var noon = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// answer is one response, read whole.
type answer struct {
	status int
	header http.Header
	body   string
}

// get sends GET / to url with the given header pairs.
func get(t *testing.T, url string, header ...string) answer {
	t.Helper()
	a, err := fetch(url, header...)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// fetch is get for goroutines other than the test's.
func fetch(url string, header ...string) (answer, error) {
	req, err := http.NewRequest(http.MethodGet, url+"/", nil)
	if err != nil {
		return answer{}, err
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	// The slack a test allows: far above any --redis-timeout, far below a hang.
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	return answer{resp.StatusCode, resp.Header, string(body)}, nil
}

// newAPI serves the welcome behind Middleware(o) until the test ends.
func newAPI(t *testing.T, o serve.Options) string {
	t.Helper()
	ts := httptest.NewServer(serve.Middleware(o)(serve.Handler()))
	t.Cleanup(ts.Close)
	return ts.URL
}

// newMiniredis is a client of a fresh miniredis for the test.
func newMiniredis(t *testing.T) (*miniredis.Miniredis, *redis.Client) {
	t.Helper()
	m := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: m.Addr(), MaxRetries: -1, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = c.Close() })
	return m, c
}

// problemBody decodes a problem+json answer.
func problemBody(t *testing.T, a answer) map[string]any {
	t.Helper()
	if ct := a.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json; body %q", ct, a.body)
	}
	var p map[string]any
	if err := json.Unmarshal([]byte(a.body), &p); err != nil {
		t.Fatalf("body %q: %v", a.body, err)
	}
	return p
}

// checkFields checks the rate-limit fields of a decided answer: values
// as wanted, and the two spellings of each agreeing.
func checkFields(t *testing.T, a answer, limit, window, remaining, reset int64) {
	t.Helper()
	want := map[string]string{
		"RateLimit-Policy":      fmt.Sprintf(`"default";q=%d;w=%d`, limit, window),
		"RateLimit":             fmt.Sprintf(`"default";r=%d;t=%d`, remaining, reset),
		"X-RateLimit-Limit":     strconv.FormatInt(limit, 10),
		"X-RateLimit-Remaining": strconv.FormatInt(remaining, 10),
		"X-RateLimit-Reset":     strconv.FormatInt(reset, 10),
	}
	for name, v := range want {
		if got := a.header.Get(name); got != v {
			t.Errorf("%s: %q, want %q", name, got, v)
		}
	}
	for _, name := range []string{"RateLimit-Policy", "RateLimit"} {
		if _, err := httpsfv.UnmarshalList([]string{a.header.Get(name)}); err != nil {
			t.Errorf("%s %q is not a structured field list: %v", name, a.header.Get(name), err)
		}
	}
}

// TestMiddlewareLimitsEachKey: every algorithm, on a clock stopped at
// noon with 5 requests an hour, passes exactly 5 requests of one key
// with remaining 4 down to 0, then answers 429 with Retry-After, while
// another key still passes.
func TestMiddlewareLimitsEachKey(t *testing.T) {
	t.Run("miniredis", func(t *testing.T) {
		testLimitsEachKey(t, func(t *testing.T) redis.Cmdable { _, c := newMiniredis(t); return c })
	})
	t.Run("redis-server", func(t *testing.T) {
		s := redistest.Start(t)
		testLimitsEachKey(t, func(t *testing.T) redis.Cmdable { return s.Client(t) })
	})
}

func testLimitsEachKey(t *testing.T, newRedis func(*testing.T) redis.Cmdable) {
	limit := algorithms.Limit{Requests: 5, Window: time.Hour}
	// Retry-After of the sixth request, in seconds, X-RateLimit-Reset
	// after the fifth, and after one request of another key: each
	// algorithm's own arithmetic, rounded up, on a clock that ticks 1µs a
	// reading from noon (a stopped clock would show the seed-sliding quirk
	// of one member for equal stamps, and admit without end).
	tests := []struct {
		algo                string
		retry, reset, first int64
	}{
		{"fixed", 3600, 3600, 3600},           // the window ends at 13:00
		{"sliding", 3600, 3600, 3600},         // the first entry leaves at 13:00
		{"sliding-counter", 4320, 7200, 7200}, // at 13:12 the last window weighs 4 of 5; it is forgotten at 14:00
		{"token", 720, 3600, 720},             // a token every 12 minutes
		{"leaky", 720, 3600, 720},             // one drains every 12 minutes
		{"gcra", 720, 3600, 720},              // one emission interval
		{"seed-fixed", 3600, 3600, 3600},
		{"seed-sliding", 3600, 3600, 3600},
		{"seed-leaky", 3600, 3600, 3600}, // its list expires C/leak, the window, after the last push
	}
	for _, tt := range tests {
		t.Run(tt.algo, func(t *testing.T) {
			rdb := newRedis(t)
			var ticks atomic.Int64
			clock := algorithms.ClockFunc(func() time.Time { return noon.Add(time.Duration(ticks.Add(1)) * time.Microsecond) })
			l, err := algorithms.New(tt.algo, rdb, algorithms.Options{Clock: clock})
			if err != nil {
				t.Fatal(err)
			}
			url := newAPI(t, serve.Options{Limiter: l, Identify: serve.ByHeader("X-API-Key", limit)})
			var last answer
			for i := int64(1); i <= limit.Requests; i++ {
				last = get(t, url, "X-API-Key", "alice")
				if last.status != http.StatusOK || last.body != serve.Welcome {
					t.Fatalf("request %d: %d %q, want 200 and the welcome", i, last.status, last.body)
				}
				if got, want := last.header.Get("X-RateLimit-Remaining"), strconv.FormatInt(limit.Requests-i, 10); got != want {
					t.Errorf("request %d: remaining %s, want %s", i, got, want)
				}
				if last.header.Get("Retry-After") != "" {
					t.Errorf("request %d passed with Retry-After %q", i, last.header.Get("Retry-After"))
				}
			}
			checkFields(t, last, 5, 3600, 0, tt.reset)

			rejected := get(t, url, "X-API-Key", "alice")
			if rejected.status != http.StatusTooManyRequests {
				t.Fatalf("request 6: %d %q, want 429", rejected.status, rejected.body)
			}
			if got := rejected.header.Get("Retry-After"); got != strconv.FormatInt(tt.retry, 10) {
				t.Errorf("Retry-After %q, want %d", got, tt.retry)
			}
			checkFields(t, rejected, 5, 3600, 0, tt.reset)
			p := problemBody(t, rejected)
			want := map[string]any{"type": "about:blank", "title": "Too Many Requests", "status": 429.0,
				"detail": "rate limit of 5 requests per 1h0m0s exceeded", "retry_after": float64(tt.retry)}
			if fmt.Sprint(p) != fmt.Sprint(want) {
				t.Errorf("body %v, want %v", p, want)
			}

			other := get(t, url, "X-API-Key", "bob")
			if other.status != http.StatusOK {
				t.Errorf("another key: %d, want 200", other.status)
			}
			checkFields(t, other, 5, 3600, 4, tt.first)
		})
	}
}

// TestMiddlewareExactUnderConcurrency: on redis-server, with 3 users each
// sending 40 requests from 16 goroutines at once, every atomic algorithm
// passes exactly 20 per user, each with a different remaining from 19 to
// 0, and answers the other 20 with 429 and a Retry-After of at least 1.
func TestMiddlewareExactUnderConcurrency(t *testing.T) {
	s := redistest.Start(t)
	// A window of 366 days: a fixed window's boundary falls in the test
	// once in a lifetime, and no bucket refills a token within it.
	limit := algorithms.Limit{Requests: 20, Window: 8784 * time.Hour}
	for _, algo := range algorithms.Names() {
		t.Run(algo, func(t *testing.T) {
			l, err := algorithms.New(algo, s.Client(t), algorithms.Options{})
			if err != nil {
				t.Fatal(err)
			}
			url := newAPI(t, serve.Options{Limiter: l, Identify: serve.ByHeader("X-User", limit), Timeout: 5 * time.Second})
			users := []string{"u1", "u2", "u3"}
			const perUser, workers = 40, 16
			answers := make(chan struct {
				user string
				a    answer
			}, perUser*len(users))
			jobs := make(chan string)
			var wg sync.WaitGroup
			for range workers {
				wg.Go(func() {
					for user := range jobs {
						a, err := fetch(url, "X-User", user)
						if err != nil {
							t.Error(err)
						}
						answers <- struct {
							user string
							a    answer
						}{user, a}
					}
				})
			}
			for range perUser {
				for _, u := range users {
					jobs <- u
				}
			}
			close(jobs)
			wg.Wait()
			close(answers)

			remaining := map[string][]int{}
			rejected := map[string]int{}
			for r := range answers {
				switch r.a.status {
				case http.StatusOK:
					n, _ := strconv.Atoi(r.a.header.Get("X-RateLimit-Remaining"))
					remaining[r.user] = append(remaining[r.user], n)
				case http.StatusTooManyRequests:
					rejected[r.user]++
					if ra, err := strconv.Atoi(r.a.header.Get("Retry-After")); err != nil || ra < 1 {
						t.Errorf("%s: 429 with Retry-After %q, want 1 or more", r.user, r.a.header.Get("Retry-After"))
					}
				default:
					t.Errorf("%s: status %d %q", r.user, r.a.status, r.a.body)
				}
			}
			for _, u := range users {
				got := remaining[u]
				slices.Sort(got)
				want := make([]int, limit.Requests)
				for i := range want {
					want[i] = i
				}
				if !slices.Equal(got, want) || rejected[u] != perUser-int(limit.Requests) {
					t.Errorf("%s: passed with remaining %v and %d rejected, want each of 0..19 once and 20 rejected", u, got, rejected[u])
				}
			}
		})
	}
}
