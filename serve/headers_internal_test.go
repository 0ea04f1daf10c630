package serve

import (
	"net/http"
	"testing"
	"time"

	"github.com/rlbench/rlbench/algorithms"
)

func TestCeilSeconds(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want int64
	}{
		{0, 0}, {-time.Second, 0}, {time.Nanosecond, 1}, {time.Second, 1}, {time.Second + time.Nanosecond, 2},
		{10 * time.Minute, 600}, {(1<<53 - 1) * time.Microsecond, 9007199255}, // the scripts' saturation
	} {
		if got := ceilSeconds(tt.d); got != tt.want {
			t.Errorf("ceilSeconds(%v) = %d, want %d", tt.d, got, tt.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	limit := algorithms.Limit{Requests: 5, Window: 90 * time.Second}
	for _, tt := range []struct {
		retry time.Duration
		want  int64
	}{
		{300 * time.Millisecond, 1}, {0, 1}, {1500 * time.Millisecond, 2}, {algorithms.NeverRetry, 90},
	} {
		if got := retryAfter(limit, algorithms.Decision{RetryAfter: tt.retry}); got != tt.want {
			t.Errorf("retryAfter(%v) = %d, want %d", tt.retry, got, tt.want)
		}
	}
}

// TestFieldsAtLargestLimit: 1e15, rlbench's largest limit, is one past
// what a structured field integer holds: the field says the most it can,
// the X- field the exact value.
func TestFieldsAtLargestLimit(t *testing.T) {
	h := http.Header{}
	limit := algorithms.Limit{Requests: 1e15, Window: time.Millisecond}
	setPolicy(h, limit)
	setDecision(h, limit, algorithms.Decision{Allowed: false, Remaining: 1e15, RetryAfter: time.Millisecond, ResetAfter: time.Millisecond})
	want := map[string]string{
		"Ratelimit-Policy":      `"default";q=999999999999999;w=1`,
		"Ratelimit":             `"default";r=999999999999999;t=1`,
		"X-Ratelimit-Limit":     "1000000000000000",
		"X-Ratelimit-Remaining": "1000000000000000",
		"X-Ratelimit-Reset":     "1",
		"Retry-After":           "1",
	}
	for name, v := range want {
		if got := h.Get(name); got != v {
			t.Errorf("%s: %q, want %q", name, got, v)
		}
	}
	if len(h) != len(want) {
		t.Errorf("fields %v, want %d", h, len(want))
	}
}
