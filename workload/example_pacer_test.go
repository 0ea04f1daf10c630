package workload_test

import (
	"fmt"
	"time"

	"github.com/rlbench/rlbench/workload"
)

// Bursts of 3 every second on top of 2 requests a second: the burst and
// the steady request due at the same instant all go at once.
func ExampleNewBursty() {
	p, err := workload.NewBursty(3, time.Second, 2)
	if err != nil {
		panic(err)
	}
	var offsets []time.Duration
	for hit := range uint64(10) {
		at, _ := p.At(hit)
		offsets = append(offsets, at)
	}
	fmt.Println(offsets)
	fmt.Printf("%v: %v/s on average\n", p, p.Rate(0))
	// Output:
	// [0s 0s 0s 0s 500ms 1s 1s 1s 1s 1.5s]
	// bursty 3 every 1s on 2/s: 5/s on average
}

// A run that starts 300ms into a second sends its bursts around the
// boundaries 700ms, 1.7s, ... after its start, where a fixed window of one
// second resets.
func ExampleNewWindowEdge() {
	start := time.Date(2025, 6, 1, 12, 0, 0, 300_000_000, time.UTC)
	p, err := workload.NewWindowEdge(time.Second, 5*time.Millisecond, 2, start)
	if err != nil {
		panic(err)
	}
	for hit := range uint64(8) {
		at, _ := p.At(hit)
		fmt.Println(hit, at, start.Add(at).Format("15:04:05.000"))
	}
	// Output:
	// 0 695ms 12:00:00.995
	// 1 695ms 12:00:00.995
	// 2 705ms 12:00:01.005
	// 3 705ms 12:00:01.005
	// 4 1.695s 12:00:01.995
	// 5 1.695s 12:00:01.995
	// 6 1.705s 12:00:02.005
	// 7 1.705s 12:00:02.005
}

// A ramp from 10 to 30 requests a second over 10 seconds schedules
// (10+30)/2·10 = 200 intervals by then, and goes on at 30 a second.
func ExampleNewRamp() {
	p, err := workload.NewRamp(10, 30, 10*time.Second)
	if err != nil {
		panic(err)
	}
	for _, hit := range []uint64{0, 1, 100, 200, 230} {
		at, _ := p.At(hit)
		fmt.Printf("request %d at %v\n", hit, at.Round(time.Millisecond))
	}
	fmt.Println(p.Rate(5*time.Second), "/s at 5s")
	// Output:
	// request 0 at 0s
	// request 1 at 99ms
	// request 100 at 6.18s
	// request 200 at 10s
	// request 230 at 11s
	// 20 /s at 5s
}

// Every constructor names the bad value and what it accepts.
func ExampleNewSteady_invalid() {
	_, err := workload.NewSteady(0)
	fmt.Println(err)
	// Output:
	// invalid rate 0: must be a positive number of requests per second, at most 1e+09
}

// Two tiers as on the command line: 90 % of 1000 users get 100 requests
// every 10 minutes, the rest 500.
func ExampleAssignTiers() {
	var tiers []workload.Tier
	for _, flag := range []string{"free=100/10m:0.9", "premium=500/10m:0.1"} {
		t, err := workload.ParseTier(flag)
		if err != nil {
			panic(err)
		}
		tiers = append(tiers, t)
	}
	tierOf, err := workload.AssignTiers(tiers, 1000)
	if err != nil {
		panic(err)
	}
	for _, key := range []int{0, 899, 900, 999} {
		t := tiers[tierOf(key)]
		fmt.Printf("key %d: %s, %d per %v\n", key, t.Name, t.Limit.Requests, t.Limit.Window)
	}
	_, err = workload.ParseTier("free=100:0.9")
	fmt.Println(err)
	// Output:
	// key 0: free, 100 per 10m0s
	// key 899: free, 100 per 10m0s
	// key 900: premium, 500 per 10m0s
	// key 999: premium, 500 per 10m0s
	// invalid tier "free=100:0.9": no '/' between requests and window; want NAME=REQUESTS/WINDOW:SHARE, such as free=100/10m:0.9
}
