package bench

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
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

// slowDeployment takes every fault at once but a failover, which takes
// 5 s (a failover waits for the sentinels to agree) unless its context
// ends first.
type slowDeployment struct {
	mu       sync.Mutex
	injected []string
}

func (d *slowDeployment) CheckFault(string) error    { return nil }
func (d *slowDeployment) Heal(context.Context) error { return nil }
func (d *slowDeployment) Inject(ctx context.Context, kind string, _ time.Duration, _ string) (string, error) {
	d.mu.Lock()
	d.injected = append(d.injected, kind)
	d.mu.Unlock()
	if kind != "failover" {
		return kind + " done", nil
	}
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case <-time.After(5 * time.Second):
		return "failed over", nil
	}
}

// TestFaultOutlastsRun: a failover still being injected when the run ends
// is seen through, and its event says how long it took; a fault that fell
// due meanwhile is not injected. An interrupt cuts the failover off.
func TestFaultOutlastsRun(t *testing.T) {
	faults := []Fault{{Kind: "script-flush", At: 2 * time.Second}, {Kind: "failover", At: 500 * time.Millisecond}}
	synctest.Test(t, func(t *testing.T) {
		d := &slowDeployment{}
		cfg := workload.Config{Start: time.Now()}
		// A pause due after the run's end, though before the failover's.
		fr := injectFaults(t.Context(), d, append(faults, Fault{Kind: "pause", At: 4 * time.Second}), &cfg, "k")
		time.Sleep(3 * time.Second) // the run ends halfway through the failover
		events := fr.finish()
		if took := time.Since(cfg.Start); took != 5500*time.Millisecond {
			t.Errorf("finish returned %v after the start, want 5.5s: once the failover was through", took)
		}
		if len(events) != 3 || len(d.injected) != 1 {
			t.Fatalf("events %+v, injected %v; want the failover's, the flush's and the pause's, the failover alone injected", events, d.injected)
		}
		failover, flush, pause := events[0], events[1], events[2]
		if failover.Kind != "failover" || failover.AtUS != 500_000 || failover.TookUS != 5_000_000 ||
			failover.Detail != "failed over" || failover.Error != "" || !failover.Recovered {
			t.Errorf("failover %+v, want injected at 500ms, 5s long, no error", failover)
		}
		if flush.Kind != "script-flush" || flush.AtUS != 2_000_000 || flush.Error != "the run ended while the fault before it was being injected" {
			t.Errorf("flush %+v, want not injected: the run ended while the failover was being injected", flush)
		}
		if pause.Kind != "pause" || pause.Error != "the run ended before its time" {
			t.Errorf("pause %+v, want not injected: the run ended before its time", pause)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		d := &slowDeployment{}
		cfg := workload.Config{Start: time.Now()}
		ctx, interrupt := context.WithCancel(t.Context())
		fr := injectFaults(ctx, d, faults, &cfg, "k")
		time.Sleep(3 * time.Second)
		interrupt()
		events := fr.finish()
		if took := time.Since(cfg.Start); took != 3*time.Second {
			t.Errorf("finish returned %v after the start, want at once on the interrupt", took)
		}
		if len(events) != 2 || events[0].Error != "context canceled" || events[1].Error != "the run ended while the fault before it was being injected" {
			t.Errorf("events %+v, want the failover cut off and the flush not injected", events)
		}
	})
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
