package main

import (
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestServeMetrics: serve counts its decisions at GET /metrics, which is
// itself never rate-limited.
func TestServeMetrics(t *testing.T) {
	addr, cancel, code, _, _ := startServe(t, nil,
		"serve", "--addr", "127.0.0.1:0", "--algo", "fixed", "--limit", "2", "--window", "1h", "--key", "header:X-API-Key")
	defer func() { cancel(); <-code }()
	for i, want := range []int{200, 200, 429} {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/", nil)
		req.Header.Set("X-API-Key", "k1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("request %d: %d, want %d", i+1, resp.StatusCode, want)
		}
	}
	var body string
	for range 3 { // past the limit of 2: /metrics is not limited
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /metrics: %d, want 200", resp.StatusCode)
		}
		body = string(b)
	}
	for _, line := range []string{
		`rlbench_decisions_total{algorithm="fixed",outcome="accepted",target="miniredis"} 2`,
		`rlbench_decisions_total{algorithm="fixed",outcome="rejected",target="miniredis"} 1`,
		`rlbench_decisions_total{algorithm="fixed",outcome="failed",target="miniredis"} 0`,
		`rlbench_decision_seconds_count{algorithm="fixed",target="miniredis"} 3`,
		`rlbench_errors_total{algorithm="fixed",class="timeout",target="miniredis"} 0`,
		`rlbench_requests_in_flight{algorithm="fixed",target="miniredis"} 0`,
	} {
		if !strings.Contains(body, "\n"+line+"\n") {
			t.Errorf("/metrics lacks %q; got:\n%s", line, body)
		}
	}
}

var metricsLine = regexp.MustCompile(`rlbench: metrics at http://(127\.0\.0\.1:\d+)/metrics\n`)

// TestRunMetricsAddr: run serves /metrics at --metrics-addr while it
// runs, says where on stderr, and stops serving when it is over.
func TestRunMetricsAddr(t *testing.T) {
	io, _, errOut := newTestIO(nil, "run", "--algo", "fixed", "--requests", "50", "--metrics-addr", "127.0.0.1:0")
	if code := Main(io); code != exitOK {
		t.Fatalf("exit %d, want 0; stderr %q", code, errOut)
	}
	m := metricsLine.FindStringSubmatch(errOut.String())
	if m == nil {
		t.Fatalf("stderr %q names no metrics address", errOut)
	}
	if c, err := net.Dial("tcp", m[1]); err == nil {
		c.Close()
		t.Errorf("%s still listening after the run", m[1])
	}
}

func TestRunMetricsAddrBad(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	taken := ln.Addr().String()
	tests := []struct {
		addr, want string
		code       int
	}{
		{"9100", `rlbench: invalid --metrics-addr "9100": want host:port, such as 127.0.0.1:9100 (port 0 picks a free one)` + "\n", exitUsage},
		{"localhost:http", `rlbench: invalid --metrics-addr "localhost:http": want host:port, such as 127.0.0.1:9100 (port 0 picks a free one)` + "\n", exitUsage},
		{taken, "rlbench: cannot listen on --metrics-addr " + taken + ": listen tcp " + taken + ": bind: address already in use\n", exitFailure},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			io, _, errOut := newTestIO(nil, "run", "--requests", "5", "--metrics-addr", tt.addr)
			if code := Main(io); code != tt.code || errOut.String() != tt.want {
				t.Errorf("exit %d, stderr %q; want %d, %q", code, errOut, tt.code, tt.want)
			}
		})
	}
}
