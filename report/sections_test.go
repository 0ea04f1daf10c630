package report

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// benchFixture is a hand-made bench results file: two algorithms, two
// limits, two repetitions, one of them over its bound.
func benchFixture() *File {
	f := &File{
		Target: Target{Kind: "redis", Address: "127.0.0.1:6379", ServerVersion: "7.0.15"},
		Config: Config{Requests: 10000, Workload: "steady", Workloads: []string{"steady"}, Sweep: "limit=10,100",
			Rate: 2000, Concurrency: 10},
	}
	add := func(algo string, limit int64, repeat int, mean, p99 float64, over int64) {
		f.Runs = append(f.Runs, Run{
			Algorithm: algo, Workload: "steady", Repeat: repeat,
			Limit:    Limit{Requests: limit, WindowUS: 1_000_000},
			Counts:   Counts{Sent: 10000},
			Latency:  Latency{ServiceUS: Percentiles{Mean: mean, P99: p99}, ResponseUS: Percentiles{Mean: mean + 1, P99: p99 + 1}},
			Accuracy: Accuracy{OverAdmitted: over},
		})
	}
	add("fixed", 10, 0, 61.2, 150, 0)
	add("seed-sliding", 10, 0, 180.4, 400, 12)
	add("fixed", 100, 0, 62.8, 155, 0)
	add("seed-sliding", 100, 0, 185.0, 420, 0)
	add("fixed", 10, 1, 59.0, 149, 0)
	add("seed-sliding", 10, 1, 170.0, 390, 30)
	add("fixed", 100, 1, 64.0, 160, 0)
	add("seed-sliding", 100, 1, 190.0, 430, 0)
	return f
}

func TestSeedTableGolden(t *testing.T) {
	var b bytes.Buffer
	if err := writeSeedTable(&b, benchFixture()); err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join("testdata", "seed_table.golden"), b.Bytes())
}

// TestSeedTableMeasuredCost: beside the cost the seed stated, the table
// gives the commands each decision measured: the median over repetitions.
func TestSeedTableMeasuredCost(t *testing.T) {
	f := benchFixture()
	for i := range f.Runs {
		r := &f.Runs[i]
		switch r.Algorithm {
		case "fixed":
			r.RedisCost = &RedisCost{CommandsPerDecision: 1.0001, ScriptCommandsPerDecision: 2.1 + float64(r.Repeat)}
		case "seed-sliding":
			r.RedisCost = &RedisCost{CommandsPerDecision: 2.101 + float64(r.Repeat)}
		}
	}
	var b bytes.Buffer
	if err := writeSeedTable(&b, f); err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join("testdata", "seed_table_cost.golden"), b.Bytes())
}

func TestSweepTablesGolden(t *testing.T) {
	var table, md bytes.Buffer
	if err := writeSweepTable(&table, benchFixture()); err != nil {
		t.Fatal(err)
	}
	if err := writeSweepMarkdown(&md, benchFixture()); err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join("testdata", "sweep_table.golden"), table.Bytes())
	golden(t, filepath.Join("testdata", "sweep_markdown.golden"), md.Bytes())
}

// TestBenchSectionsGolden: the table and markdown of a bench open with the
// seed-style table and, for a sweep, end with the sweep's table; the runs
// table between says which limit and which repetition each row ran.
func TestBenchSectionsGolden(t *testing.T) {
	for _, format := range []Format{Table, Markdown} {
		t.Run(format.Name, func(t *testing.T) {
			var b bytes.Buffer
			if err := format.Render(&b, benchFixture()); err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", format.Name+"_bench.golden"), b.Bytes())
		})
	}
}

// TestSectionsOnlyForBench: a file of "rlbench run" (no workloads list)
// has neither section; a bench without --sweep has the seed-style table
// alone.
func TestSectionsOnlyForBench(t *testing.T) {
	run := benchFixture()
	run.Config.Workloads, run.Config.Sweep = nil, ""
	matrix := benchFixture()
	matrix.Config.Sweep = ""
	tests := []struct {
		name       string
		file       *File
		seed, swep bool
	}{
		{"run", run, false, false},
		{"bench", matrix, true, false},
		{"sweep", benchFixture(), true, true},
	}
	for _, tt := range tests {
		for _, format := range []Format{Table, Markdown} {
			t.Run(tt.name+"/"+format.Name, func(t *testing.T) {
				var b bytes.Buffer
				if err := format.Render(&b, tt.file); err != nil {
					t.Fatal(err)
				}
				out := b.String()
				if got := strings.HasPrefix(out, "Rate Limiter Performance (") || strings.HasPrefix(out, "```\nRate Limiter Performance ("); got != tt.seed {
					t.Errorf("opens with the seed-style table: %v, want %v:\n%s", got, tt.seed, out)
				}
				if got := strings.Contains(out, "Service time against the limit"); got != tt.swep {
					t.Errorf("has the sweep table: %v, want %v:\n%s", got, tt.swep, out)
				}
			})
		}
	}
}
