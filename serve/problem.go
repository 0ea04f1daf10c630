package serve

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// problem is an RFC 9457 problem details body, the answer to every
// request the server refuses.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	// RetryAfter repeats Retry-After in the body of a 429, in seconds.
	RetryAfter int64 `json:"retry_after,omitempty"`
}

// writeProblem answers with status and a problem+json body saying detail.
func writeProblem(w http.ResponseWriter, status int, detail string, retryAfter int64) {
	body, err := json.Marshal(problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail, RetryAfter: retryAfter})
	if err != nil {
		panic(err) // strings and ints always marshal
	}
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Content-Length", strconv.Itoa(len(body)+1))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
