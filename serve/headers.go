package serve

import (
	"net/http"
	"strconv"
	"time"

	"github.com/dunglas/httpsfv"

	"github.com/rlbench/rlbench/algorithms"
)

// PolicyName names the one quota policy in the RateLimit-Policy and
// RateLimit fields.
const PolicyName = "default"

// maxSFInteger is the largest integer a structured field can carry
// (RFC 9651 §3.3.1); rlbench's largest limit, 1e15, is one more.
const maxSFInteger = 999_999_999_999_999

// setPolicy writes the fields that depend only on the limit, which every
// decided answer carries, and those that could not be decided too:
//
//	RateLimit-Policy: "default";q=100;w=600
//	X-RateLimit-Limit: 100
func setPolicy(h http.Header, limit algorithms.Limit) {
	params := httpsfv.NewParams()
	params.Add("q", min(limit.Requests, maxSFInteger))
	params.Add("w", max(1, ceilSeconds(limit.Window)))
	h.Set("RateLimit-Policy", marshal(httpsfv.Item{Value: PolicyName, Params: params}))
	h.Set("X-RateLimit-Limit", strconv.FormatInt(limit.Requests, 10))
}

// setDecision writes the fields of one decision, after setPolicy's: the
// remaining allowance and when it is whole again, in seconds rounded up
// (draft-ietf-httpapi-ratelimit-headers-10 and the common X- fields),
// and Retry-After on a rejection:
//
//	RateLimit: "default";r=0;t=42
//	X-RateLimit-Remaining: 0
//	X-RateLimit-Reset: 42
//	Retry-After: 7
func setDecision(h http.Header, limit algorithms.Limit, d algorithms.Decision) {
	reset := ceilSeconds(d.ResetAfter)
	params := httpsfv.NewParams()
	params.Add("r", min(d.Remaining, maxSFInteger))
	params.Add("t", reset)
	h.Set("RateLimit", marshal(httpsfv.Item{Value: PolicyName, Params: params}))
	h.Set("X-RateLimit-Remaining", strconv.FormatInt(d.Remaining, 10))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(reset, 10))
	if !d.Allowed {
		h.Set("Retry-After", strconv.FormatInt(retryAfter(limit, d), 10))
	}
}

// retryAfter is how many whole seconds a rejected caller waits: at least
// 1, since 0 would invite an immediate retry that fails again, and the
// window when no wait helps (NeverRetry).
func retryAfter(limit algorithms.Limit, d algorithms.Decision) int64 {
	if d.RetryAfter == algorithms.NeverRetry {
		return max(1, ceilSeconds(limit.Window))
	}
	return max(1, ceilSeconds(d.RetryAfter))
}

// ceilSeconds is d in whole seconds rounded up: 1ms is 1, 0 is 0.
func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	s := int64(d / time.Second)
	if d%time.Second != 0 {
		s++
	}
	return s
}

// marshal serializes an item whose values setPolicy and setDecision keep
// within range; an error there is a bug.
func marshal(item httpsfv.Item) string {
	s, err := httpsfv.Marshal(item)
	if err != nil {
		panic(err)
	}
	return s
}
