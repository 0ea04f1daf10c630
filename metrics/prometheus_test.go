package metrics_test

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/rlbench/rlbench/metrics"
)

// requireEnv makes a missing prometheus binary a failure instead of a
// skip, as it does for redis-server: CI sets it.
const requireEnv = "RLBENCH_REQUIRE_REDIS"

// TestPrometheusScrapesARun serves a run's metrics, has a real Prometheus
// scrape them every 100ms, and asks its query API for the accepted
// decisions until it has the run's final count.
func TestPrometheusScrapesARun(t *testing.T) {
	m := metrics.New()
	endpoint := httptest.NewServer(m.Handler())
	t.Cleanup(endpoint.Close)
	query := startPrometheus(t, strings.TrimPrefix(endpoint.URL, "http://"))

	file, _ := runPlan(t, m, "fixed", "seed-sliding")
	var accepted int64
	for _, run := range file.Runs {
		accepted += run.Counts.Accepted
	}

	const q = `sum(rlbench_decisions_total{outcome="accepted"})`
	var last string
	// A bound on waiting for a scrape, not a timed assertion: it ends a
	// test that would otherwise hang.
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		v, _, _, err := query.Query(t.Context(), q, time.Now())
		if err != nil {
			last = err.Error()
		} else if vec, ok := v.(model.Vector); ok && len(vec) == 1 {
			last = vec[0].Value.String()
			if float64(vec[0].Value) == float64(accepted) {
				checkDashboard(t, query, deadline)
				return
			}
		} else {
			last = v.String()
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s never reached %d, the results file's accepted; last answer: %s", q, accepted, last)
}

// checkDashboard has Prometheus evaluate every panel query of the Grafana
// dashboard, its variables set to match everything: each must be PromQL it
// accepts, and give at least one series once a scrape or two after the run
// have made rates of them (until deadline). The variables' label_values
// queries are Grafana's, not PromQL.
func checkDashboard(t *testing.T, query promv1.API, deadline time.Time) {
	t.Helper()
	vars := strings.NewReplacer(`"$target"`, `".*"`, `"$algorithm"`, `".*"`, "$__rate_interval", "1m")
	for _, q := range dashboardQueries(t) {
		if strings.HasPrefix(q, "label_values(") {
			continue
		}
		for {
			v, _, _, err := query.Query(t.Context(), vars.Replace(q), time.Now())
			if err != nil {
				t.Errorf("Prometheus refuses %s: %v", q, err)
				break
			}
			if vec, ok := v.(model.Vector); ok && len(vec) > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("%s gives no series after a run: %v", q, v)
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// startPrometheus starts the prometheus binary scraping scrapeAddr every
// 100ms, its data in a temporary directory and its API on a free port, and
// returns its query API once ready; the process is stopped by its pid.
func startPrometheus(t *testing.T, scrapeAddr string) promv1.API {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		msg := "prometheus not found (install the Debian package prometheus): " + err.Error()
		if os.Getenv(requireEnv) == "1" {
			t.Fatalf("%s; %s=1 requires it", msg, requireEnv)
		}
		t.Skipf("%s\nSKIPPING (set %s=1 to make this a failure)", msg, requireEnv)
	}
	dir := t.TempDir()
	config := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(config, []byte(fmt.Sprintf(`global:
  scrape_interval: 100ms
  scrape_timeout: 100ms
scrape_configs:
  - job_name: rlbench
    static_configs:
      - targets: [%q]
`, scrapeAddr)), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	logPath := filepath.Join(dir, "prometheus.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(bin,
		"--config.file="+config,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
	)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	logTail := func() string { b, _ := os.ReadFile(logPath); return string(b) }
	ready := "http://" + addr + "/-/ready"
	for deadline := time.Now().Add(time.Minute); ; {
		select {
		case <-exited:
			t.Fatalf("prometheus (pid %d) exited before it was ready:\n%s", cmd.Process.Pid, logTail())
		default:
		}
		if resp, err := http.Get(ready); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus (pid %d) not ready on %s after a minute:\n%s", cmd.Process.Pid, addr, logTail())
		}
		time.Sleep(50 * time.Millisecond)
	}
	client, err := api.NewClient(api.Config{Address: "http://" + addr})
	if err != nil {
		t.Fatal(err)
	}
	return promv1.NewAPI(client)
}

// freePort asks the kernel for an unused loopback port.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
