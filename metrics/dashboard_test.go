package metrics_test

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rlbench/rlbench/metrics"
)

const dashboardPath = "../examples/grafana/rlbench.json"

// dashboardQueries are the PromQL of every panel target ("expr") and
// every template variable ("query") of the Grafana dashboard.
func dashboardQueries(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(dashboardPath)
	if err != nil {
		t.Fatal(err)
	}
	var d any
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", dashboardPath, err)
	}
	var queries []string
	var walk func(v any, key string)
	walk = func(v any, key string) {
		switch v := v.(type) {
		case map[string]any:
			for k, child := range v {
				walk(child, k)
			}
		case []any:
			for _, child := range v {
				walk(child, key)
			}
		case string:
			if key == "expr" || key == "query" {
				queries = append(queries, v)
			}
		}
	}
	walk(d, "")
	return queries
}

var metricName = regexp.MustCompile(`\brlbench_[a-z_]+`)

// Every query names at least one metric, and only metrics rlbench
// exports (a histogram's as its _bucket, _sum or _count series).
func TestDashboardNamesOnlyExportedMetrics(t *testing.T) {
	queries := dashboardQueries(t)
	if len(queries) < 8 {
		t.Fatalf("%d queries in %s, want the 7 panel targets and 2 variables at least", len(queries), dashboardPath)
	}
	exported := metrics.Names()
	for _, h := range []string{metrics.Latency, metrics.ScheduleLag} {
		exported = append(exported, h+"_bucket", h+"_sum", h+"_count")
	}
	seen := map[string]bool{}
	for _, q := range queries {
		names := metricName.FindAllString(q, -1)
		if len(names) == 0 {
			t.Errorf("query names no rlbench metric: %s", q)
		}
		for _, name := range names {
			if !slices.Contains(exported, name) {
				t.Errorf("query names %s, which rlbench does not export: %s", name, q)
			}
			seen[strings.TrimSuffix(name, "_bucket")] = true
		}
	}
	for _, name := range metrics.Names() {
		if !seen[name] {
			t.Errorf("no panel shows %s", name)
		}
	}
}
