package main

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rlbench/rlbench/workload"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestWriteTableGolden(t *testing.T) {
	fast := workload.NewLatencyHistogram()
	for _, us := range []int64{80, 90, 100, 110, 120, 2500} {
		if err := fast.RecordValue(us * 1000); err != nil {
			t.Fatal(err)
		}
	}
	results := []workload.Result{
		{Algorithm: "fixed", Sent: 6, Accepted: 2, Rejected: 4, Elapsed: 3 * time.Millisecond, Latency: fast},
		{
			Algorithm: "token", Sent: 3, Errors: 3, Elapsed: time.Millisecond, Latency: workload.NewLatencyHistogram(),
			ErrorsByClass: map[string]int64{workload.ClassConnection: 3}, FirstError: errors.New("refused"),
		},
	}
	var out bytes.Buffer
	if err := writeTable(&out, results); err != nil {
		t.Fatalf("writeTable: %v", err)
	}
	golden := filepath.Join("testdata", "table.golden")
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Errorf("table differs from %s (go test -update rewrites it):\ngot:\n%s\nwant:\n%s", golden, out.Bytes(), want)
	}
}
