package main

import (
	"strings"
	"testing"
)

// TestMainBadInputHuge feeds huge, tiny and non-finite values through Main:
// each is one line on stderr naming the value, exit 2, before any
// connection. REDIS_URL points at a closed port, so that a check that lets
// a value through fails fast rather than running a load.
func TestMainBadInputHuge(t *testing.T) {
	cases := []struct {
		args []string
		bad  string // the value as typed, which the message must show
	}{
		{[]string{"run", "--concurrency", "100000000"}, "100000000"},
		{[]string{"run", "--max-inflight", "100000000", "--workload", "steady"}, "100000000"},
		{[]string{"run", "--concurrency", "99999999999999999999"}, "99999999999999999999"},
		{[]string{"run", "--max-inflight", "10001000"}, "10001000"},
		{[]string{"run", "--keys", "1000000000"}, "1000000000"},
		{[]string{"run", "--keys", "99999999999999999999"}, "99999999999999999999"},
		{[]string{"run", "--limit", "99999999999999999999"}, "99999999999999999999"},
		{[]string{"run", "--limit", "2000000000000000"}, "2000000000000000"},
		{[]string{"run", "--algo", "token", "--burst", "2000000000000000"}, "2000000000000000"},
		{[]string{"run", "--burst-size", "9223372036854775807", "--workload", "bursty"}, "9223372036854775807"},
		{[]string{"run", "--requests", "9223372036854775807"}, "9223372036854775807"},
		{[]string{"run", "--requests", "99999999999999999999"}, "99999999999999999999"},
		{[]string{"run", "--window", "9000h"}, "9000h"},
		{[]string{"run", "--window", "9999999999h"}, "9999999999h"},
		{[]string{"run", "--duration", "100000h"}, "100000h"},
		{[]string{"run", "--timeout", "8785h"}, "8785h"},
		{[]string{"run", "--interval", "10000h"}, "10000h"},
		{[]string{"run", "--miss-after", "10000h"}, "10000h"},
		{[]string{"run", "--burst-every", "10000h", "--workload", "bursty"}, "10000h"},
		{[]string{"run", "--edge-offset", "10000h", "--workload", "window-edge"}, "10000h"},
		{[]string{"run", "--workload", "steady", "--rate", "1e-09"}, "1e-09"},
		{[]string{"run", "--workload", "poisson", "--rate", "0.0001"}, "0.0001"},
		{[]string{"run", "--workload", "ramp", "--duration", "1s", "--rate", "1e-05"}, "1e-05"},
		{[]string{"run", "--workload", "bursty", "--rate", "1e-08"}, "1e-08"},
		{[]string{"run", "--workload", "steady", "--rate", "2e+07"}, "2e+07"},
		{[]string{"run", "--workload", "steady", "--rate", "1e400"}, "1e400"},
		{[]string{"run", "--workload", "steady", "--rate", "NaN"}, "NaN"},
		{[]string{"run", "--workload", "steady", "--rate", "+Inf"}, "+Inf"},
		{[]string{"run", "--workload", "ramp", "--duration", "1s", "--rate-start", "+Inf"}, "+Inf"},
		{[]string{"run", "--workload", "ramp", "--duration", "1s", "--rate-start", "1e+08"}, "1e+08"},
		{[]string{"run", "--seed", "99999999999999999999"}, "99999999999999999999"},
		{[]string{"bench", "--count", "100000"}, "100000"},
		{[]string{"bench", "--count", "99999999999999999999"}, "99999999999999999999"},
		{[]string{"bench", "--sweep", "limit=10,99999999999999999999"}, "99999999999999999999"},
		{[]string{"bench", "--sweep", "limit=2000000000000000"}, "2000000000000000"},
		{[]string{"bench", "--concurrency", "100000000"}, "100000000"},
		{[]string{"bench", "--max-inflight", "100000000"}, "100000000"},
		{[]string{"bench", "--rate", "1e-09"}, "1e-09"},
		{[]string{"bench", "--duration", "9000h"}, "9000h"},
		{[]string{"compare", "--alpha", "1e999", "base.json", "new.json"}, "1e999"},
		{[]string{"compare", "--alpha", "NaN", "base.json", "new.json"}, "NaN"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			io, out, errOut := newTestIO(map[string]string{"REDIS_URL": "redis://127.0.0.1:1/0"}, c.args...)
			code := Main(io)
			msg := errOut.String()
			if code != exitUsage {
				t.Errorf("exit %d, want %d; stderr %q", code, exitUsage, msg)
			}
			if !strings.HasPrefix(msg, "rlbench: ") || !strings.HasSuffix(msg, "\n") || strings.Count(msg, "\n") != 1 {
				t.Errorf("stderr %q, want one line starting \"rlbench: \"", msg)
			}
			if !strings.Contains(msg, c.bad) {
				t.Errorf("stderr %q does not show the value %q", msg, c.bad)
			}
			if strings.Contains(msg, "goroutine") || strings.Contains(msg, "panic") {
				t.Errorf("stderr %q has a trace", msg)
			}
			if out.Len() > 0 {
				t.Errorf("stdout %q, want nothing", out)
			}
		})
	}
}

// TestMainDurationPastInt64: a well-formed duration too large for Go's
// time.Duration says it is out of range and what the bound is, like one
// within int64 but past 8784h; a malformed one says what form is wanted.
func TestMainDurationPastInt64(t *testing.T) {
	cases := []struct{ flag, value, want string }{
		{"--duration", "99999999999h", `invalid --duration "99999999999h": out of range, want at most 8784h (366 days)`},
		{"--window", "3000000h", `invalid --window "3000000h": out of range, want at most 8784h (366 days)`},
		{"--timeout", "1.5e300s", `invalid --timeout "1.5e300s": want a duration with a unit, such as 600s, 1m or 500ms`},
		{"--window", "5x", `invalid --window "5x": want a duration with a unit, such as 600s, 1m or 500ms`},
	}
	for _, c := range cases {
		io, _, errOut := newTestIO(nil, "run", c.flag, c.value)
		if code := Main(io); code != exitUsage || errOut.String() != "rlbench: "+c.want+"\n" {
			t.Errorf("%s %s: exit %d, stderr %q; want 2, %q", c.flag, c.value, code, errOut, c.want)
		}
	}
}
