package httptarget_test

import (
	"fmt"
	"net/http"
	"time"

	"github.com/rlbench/rlbench/target/httptarget"
)

// A 429 in draft 10's fields, with Retry-After: the limit of 100 a minute
// is used up, and whole again in 30 seconds.
func ExampleParseHeaders() {
	h := http.Header{}
	h.Set("RateLimit-Policy", `"default";q=100;w=60`)
	h.Set("RateLimit", `"default";r=0;t=30`)
	h.Set("Retry-After", "30")
	got := httptarget.ParseHeaders(h, time.Now())
	fmt.Println(got.Policies[0].Quota, got.Policies[0].Window)
	fmt.Println(got.Said.Remaining, got.Said.RetryAfter, got.Said.ResetAfter)
	fmt.Println(got.Present&httptarget.DialectIETF != 0, got.Malformed)
	// Output:
	// 100 1m0s
	// 0 30s 30s
	// true []
}

func ExampleParseHeader() {
	key, value, err := httptarget.ParseHeader("x-api-key: abc123")
	fmt.Printf("%q %q %v\n", key, value, err)
	_, _, err = httptarget.ParseHeader("x-api-key abc123")
	fmt.Println(err)
	// Output:
	// "X-Api-Key" "abc123" <nil>
	// invalid header "x-api-key": want "Name: value"
}
