package bench

import (
	"testing"
	"time"

	"github.com/rlbench/rlbench/report"
	"github.com/rlbench/rlbench/target"
	"github.com/rlbench/rlbench/workload"
)

// TestFaultAttribution checks, on explicit instants, that each request is
// the latest event's that was injected before it ended, and the outage
// and recovery each event's requests show.
func TestFaultAttribution(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	fr := &faultRun{start: t0, stop: func() {}, done: make(chan struct{})}
	close(fr.done)
	fr.record(eventOf("restart", 100), at(100))
	fr.record(eventOf("pause", 500), at(500))
	sample := func(doneMS int, kind target.Kind, class string) workload.Sample {
		return workload.Sample{Sent: at(doneMS - 1), Done: at(doneMS), Outcome: target.Outcome{Kind: kind, Class: class}}
	}
	for _, s := range []workload.Sample{
		sample(50, target.Accepted, ""), // before any fault: nobody's
		sample(100, target.Failed, "connection"),
		sample(130, target.Unknown, "connection"),
		sample(140, target.Accepted, ""),
		sample(120, target.Rejected, ""),
		sample(600, target.Unknown, "timeout"), // the pause's, never recovered
	} {
		fr.observe(s)
	}
	events := fr.finish()
	restart, pause := events[0], events[1]
	if restart.Accepted != 1 || restart.Rejected != 1 || restart.Errors != 1 || restart.Unknown != 1 ||
		restart.ByClass["connection"] != 2 || restart.OutageUS != 30_000 || !restart.Recovered {
		t.Errorf("restart = %+v, want 1 accepted, 1 rejected, 1 error, 1 unknown, out 30ms, recovered", restart)
	}
	if pause.Unknown != 1 || pause.ByClass["timeout"] != 1 || pause.OutageUS != 100_000 || pause.Recovered {
		t.Errorf("pause = %+v, want 1 unknown timeout, out 100ms, not recovered", pause)
	}
}

func TestParseFault(t *testing.T) {
	for in, want := range map[string]Fault{
		"restart@2s":        {Kind: "restart", At: 2 * time.Second},
		"pause@1s":          {Kind: "pause", At: time.Second, For: time.Second},
		"pause:250ms@1.5s":  {Kind: "pause", At: 1500 * time.Millisecond, For: 250 * time.Millisecond},
		"script-flush@0s":   {Kind: "script-flush"},
		"kill-master@100ms": {Kind: "kill-master", At: 100 * time.Millisecond},
		"failover@1m":       {Kind: "failover", At: time.Minute},
	} {
		got, err := ParseFault(in)
		if err != nil || got != want {
			t.Errorf("ParseFault(%q) = %+v, %v; want %+v", in, got, err, want)
		}
		if again, err := ParseFault(got.String()); err != nil || again != got {
			t.Errorf("ParseFault(%q.String() = %q) = %+v, %v", in, got.String(), again, err)
		}
	}
}

func eventOf(kind string, atMS int64) report.Event {
	return report.Event{Kind: kind, AtUS: atMS * 1000}
}
