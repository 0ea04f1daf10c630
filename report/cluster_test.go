package report

import (
	"strings"
	"testing"
	"time"
)

// withCluster is f on a cluster of three masters, its run's decisions
// shared out over them.
func withCluster(f *File) *File {
	f.Target.Kind = "cluster"
	f.Target.Cluster = &Topology{Masters: 3, Replicas: 3, Shards: []Shard{
		{Master: "127.0.0.1:7000", Slots: 5461, Replicas: []string{"127.0.0.1:7003"}},
		{Master: "127.0.0.1:7001", Slots: 5462, Replicas: []string{"127.0.0.1:7004"}},
		{Master: "127.0.0.1:7002", Slots: 5461, Replicas: []string{"127.0.0.1:7005"}},
	}}
	for i := range f.Runs {
		r := &f.Runs[i]
		decided := r.Counts.Accepted + r.Counts.Rejected
		r.Masters = []MasterShare{{"127.0.0.1:7000", decided - 2}, {"127.0.0.1:7001", 2}, {"127.0.0.1:7002", 0}}
	}
	return f
}

func TestValidateCluster(t *testing.T) {
	if err := withCluster(fixture()).Validate(); err != nil {
		t.Fatalf("a cluster file: %v", err)
	}
	for _, tt := range []struct {
		name string
		edit func(*File)
		want string
	}{
		{"masters miscounted", func(f *File) { f.Target.Cluster.Masters = 2 }, "target.cluster.masters: 2, want the number of shards (3)"},
		{"replicas miscounted", func(f *File) { f.Target.Cluster.Replicas = 0 }, "target.cluster.replicas: 0, want the replicas the shards list (3)"},
		{"no slots", func(f *File) { f.Target.Cluster.Shards[1].Slots = 0 }, "target.cluster.shards[1].slots: 0, want 1 to 16384"},
		{"too many slots", func(f *File) { f.Target.Cluster.Shards[1].Slots = 16384 }, "target.cluster.shards: serve 27306 slots in all, want at most 16384"},
		{"shares do not add up", func(f *File) { f.Runs[0].Masters[2].Decisions = 1 }, "want accepted + rejected"},
		{"a master twice", func(f *File) { f.Runs[0].Masters[2].Master = "127.0.0.1:7000" }, `runs[0].masters[2].master: "127.0.0.1:7000", want each master's host:port once`},
		{"negative share", func(f *File) { f.Runs[0].Masters[1].Decisions = -2; f.Runs[0].Masters[2].Decisions = 4 }, "runs[0].masters[1].decisions: -2, want 0 or more"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := withCluster(fixture())
			tt.edit(f)
			err := f.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestMergeClusterShares: two generators' shares add up per master.
func TestMergeClusterShares(t *testing.T) {
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	a := withCluster(generatorFile(t, 1, start, spread(100, 100_000, 1_000), spread(100, 90_000, 1_000)))
	b := withCluster(generatorFile(t, 2, start.Add(300*time.Millisecond), spread(60, 150_000, 3_000), spread(60, 140_000, 3_000)))
	m, err := Merge(a, b)
	if err != nil {
		t.Fatal(err)
	}
	want := []MasterShare{{"127.0.0.1:7000", a.Runs[0].Masters[0].Decisions + b.Runs[0].Masters[0].Decisions}, {"127.0.0.1:7001", 4}, {"127.0.0.1:7002", 0}}
	if got := m.Runs[0].Masters; len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("merged shares %v, want %v", got, want)
	}
}

func TestClusterNotes(t *testing.T) {
	f := withCluster(fixture())
	var b strings.Builder
	if err := renderTable(&b, f); err != nil {
		t.Fatal(err)
	}
	r := f.Runs[0]
	decided := r.Counts.Accepted + r.Counts.Rejected
	for _, want := range []string{
		"cluster: 3 masters (5461, 5462, 5461 slots), 3 replicas",
		"masters: " + r.Algorithm + "/" + r.Workload + ": 127.0.0.1:7000 ",
		"127.0.0.1:7002 0.0% of " + integer(decided) + " decisions",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table does not say %q:\n%s", want, b.String())
		}
	}
}
