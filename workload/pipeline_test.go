package workload

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/internal/redistest"
	"github.com/rlbench/rlbench/target"
)

// checkPipelined holds for every Result of a pipelined run of batches of
// size: every request is one outcome, and the latency histogram holds one
// sample per batch that was answered, none per decision.
func checkPipelined(t *testing.T, res Result, requests int64, size int) {
	t.Helper()
	if res.Sent != requests || res.Sent != res.Accepted+res.Rejected+res.Unknown+res.Errors {
		t.Errorf("sent %d (want %d) != accepted %d + rejected %d + unknown %d + errors %d",
			res.Sent, requests, res.Accepted, res.Rejected, res.Unknown, res.Errors)
	}
	batches := (requests + int64(size) - 1) / int64(size)
	if res.Unknown+res.Errors == 0 && res.Latency.TotalCount() != batches {
		t.Errorf("histogram holds %d samples, want one per batch: %d", res.Latency.TotalCount(), batches)
	}
}

// TestPipelineStorm is the hot-key storm pipelined on miniredis: 8
// workers send batches of 8 at one key with limit 100, 205 requests (the
// last batch of 5); every atomic algorithm admits exactly 100 and no key
// passes its bound.
func TestPipelineStorm(t *testing.T) {
	for _, name := range algorithms.Names() {
		t.Run(name, func(t *testing.T) {
			l := newLimiter(t, name, newClient(t), storm)
			res, err := Run(t.Context(), Config{
				Target: target.Limiter(l), Promise: l, Name: l.Name(), Limit: stormLimit(), Key: "user:1",
				Concurrency: 8, Pipeline: 8, Requests: 205, Timeout: 10 * time.Second,
			})
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			checkPipelined(t, res, 205, 8)
			if res.Accepted != 100 || res.Rejected != 105 || res.Errors+res.Unknown != 0 {
				t.Errorf("accepted/rejected/errors/unknown = %d/%d/%d/%d, want 100/105/0/0 (first error: %v)",
					res.Accepted, res.Rejected, res.Errors, res.Unknown, res.FirstError)
			}
			if a := res.Accuracy; a.OverAdmitted != 0 || a.Busiest.MostInWindow != 100 {
				t.Errorf("most in a window %d, over-admitted %d; want 100 and 0", a.Busiest.MostInWindow, a.OverAdmitted)
			}
			if res.EndedBy != EndedByRequests {
				t.Errorf("ended by %q, want %q", res.EndedBy, EndedByRequests)
			}
		})
	}
}

// TestPipelineStormRedis is the storm on a real redis-server at the scale
// of make perf: 50 workers × pipeline 16, 4000 requests at one key with
// limit 100 on the server clock; every atomic algorithm admits exactly 100.
func TestPipelineStormRedis(t *testing.T) {
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, PoolSize: 50, MaxRetries: -1, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = rdb.Close() })
	limit := algorithms.Limit{Requests: 100, Window: time.Hour}
	for _, name := range algorithms.Names() {
		l, err := algorithms.New(name, rdb, algorithms.Options{})
		if err != nil {
			t.Fatal(err)
		}
		res, err := Run(t.Context(), Config{
			Target: target.Limiter(l), Promise: l, Name: l.Name(), Limit: limit, Key: "pipe:" + name,
			Concurrency: 50, Pipeline: 16, Requests: 4000, Timeout: 10 * time.Second,
		})
		if err != nil {
			t.Fatalf("%s: Run: %v", name, err)
		}
		checkPipelined(t, res, 4000, 16)
		if res.Accepted != 100 || res.Errors+res.Unknown != 0 || res.Accuracy.OverAdmitted != 0 {
			t.Errorf("%s: accepted %d, errors %d, unknown %d (%v), over-admitted %d; want 100, 0, 0, 0",
				name, res.Accepted, res.Errors, res.Unknown, res.FirstError, res.Accuracy.OverAdmitted)
		}
	}
}

// TestPipelineNoScriptMidRun flushes the scripts from redis-server while a
// pipelined run is going: the batches that find them missing send them
// again as EVAL, and not one decision is lost or made twice.
func TestPipelineNoScriptMidRun(t *testing.T) {
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, PoolSize: 8, MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	limit := algorithms.Limit{Requests: 500, Window: time.Hour}
	for _, name := range []string{"sliding", "gcra"} {
		l, err := algorithms.New(name, rdb, algorithms.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := algorithms.Preload(t.Context(), rdb); err != nil {
			t.Fatal(err)
		}
		var seen atomic.Int64
		var flushed atomic.Bool
		flush := redis.NewClient(&redis.Options{Addr: srv.Addr})
		t.Cleanup(func() { _ = flush.Close() })
		res, err := Run(t.Context(), Config{
			Target: target.Limiter(l), Promise: l, Name: l.Name(), Limit: limit, Key: "noscript:" + name,
			Concurrency: 8, Pipeline: 32, Requests: 2048, Timeout: 10 * time.Second,
			Observe: func(Sample) {
				if seen.Add(1) == 256 {
					flushed.Store(flush.ScriptFlush(context.Background()).Err() == nil)
				}
			},
		})
		if err != nil {
			t.Fatalf("%s: Run: %v", name, err)
		}
		if !flushed.Load() {
			t.Fatalf("%s: SCRIPT FLUSH failed", name)
		}
		// The flush reached batches in flight: some of them ran as EVAL.
		stats, err := flush.Info(context.Background(), "commandstats").Result()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(stats, "cmdstat_eval:") {
			t.Errorf("%s: no EVAL after the flush: the test missed NOSCRIPT\n%s", name, stats)
		}
		if err := flush.ConfigResetStat(context.Background()).Err(); err != nil {
			t.Fatal(err)
		}
		checkPipelined(t, res, 2048, 32)
		if res.Accepted != 500 || res.Rejected != 1548 || res.Errors+res.Unknown != 0 {
			t.Errorf("%s: accepted/rejected/errors/unknown = %d/%d/%d/%d, want 500/1548/0/0 (first error: %v)",
				name, res.Accepted, res.Rejected, res.Errors, res.Unknown, res.FirstError)
		}
	}
}

// TestPipelineTimeoutIsUnknown: a server that reads every batch and never
// answers; each batch's timeout makes every request in it unknown, of
// class timeout, never an error or a rejection.
func TestPipelineTimeoutIsUnknown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			// Read and never answer; the client gives up.
			go func() { _, _ = c.Read(make([]byte, 1<<20)); <-t.Context().Done(); c.Close() }()
		}
	}()
	rdb := redis.NewClient(&redis.Options{Addr: ln.Addr().String(), MaxRetries: -1, ContextTimeoutEnabled: true, Protocol: 2, DisableIdentity: true})
	t.Cleanup(func() { _ = rdb.Close() })
	l := newLimiter(t, "fixed", rdb, storm)
	res, err := Run(t.Context(), Config{
		Target: target.Limiter(l), Promise: l, Name: l.Name(), Limit: stormLimit(), Key: "silent",
		Concurrency: 2, Pipeline: 8, Requests: 32, Timeout: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	checkPipelined(t, res, 32, 8)
	if res.Unknown != 32 || res.UnknownByClass[target.ClassTimeout] != 32 || res.Errors != 0 || res.Accepted+res.Rejected != 0 {
		t.Errorf("unknown %d %v, errors %d, decided %d; want all 32 unknown timeouts (first error: %v)",
			res.Unknown, res.UnknownByClass, res.Errors, res.Accepted+res.Rejected, res.FirstError)
	}
	if res.Latency.TotalCount() != 0 {
		t.Errorf("histogram holds %d samples of batches that got no answer", res.Latency.TotalCount())
	}
	if a := res.Accuracy; a.Busiest.Unknown != 32 || a.Busiest.MostInWindowAtMost != 32 {
		t.Errorf("key's unknown %d, at most %d in a window; want 32 and 32", a.Busiest.Unknown, a.Busiest.MostInWindowAtMost)
	}
}

// TestPipelineInvalidConfig: batches only go where they can.
func TestPipelineInvalidConfig(t *testing.T) {
	l := newLimiter(t, "fixed", newClient(t), storm)
	good := Config{Target: target.Limiter(l), Promise: l, Name: l.Name(), Limit: stormLimit(), Key: "k", Concurrency: 1, Pipeline: 4, Requests: 1}
	steady, err := NewSteady(10)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"negative", func(c *Config) { c.Pipeline = -1 }, "pipeline -1 must be at least 1"},
		{"too large", func(c *Config) { c.Pipeline = MaxPipeline + 1 }, "pipeline 10001 must be at most 10000"},
		{"open model", func(c *Config) { c.Pacer = steady }, "needs the closed model"},
		{"polite", func(c *Config) { c.HonorRetryAfter = true }, "polite clients"},
		{"seed replay", func(c *Config) { c.Target = target.Limiter(algorithms.NewSeedSliding(nil, algorithms.Options{})) }, "cannot decide requests in batches"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.change(&cfg)
			_, err := Run(t.Context(), cfg)
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Run = %v, want ErrInvalidConfig saying %q", err, tt.want)
			}
		})
	}
}
