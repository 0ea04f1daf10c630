package bench

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/internal/redisconn"
	"github.com/rlbench/rlbench/report"
	"github.com/rlbench/rlbench/target"
	"github.com/rlbench/rlbench/workload"
)

// masterTally counts a run's decisions per user key as they come, cheaply
// (one map read and an atomic add), and maps each key to its master once,
// at the end: the measured path pays for no slot lookup.
type masterTally struct {
	keyer algorithms.StateKeyer
	keys  sync.Map // user key -> *atomic.Int64
}

// watchMasters tallies the decisions of cfg's run when its limiter keeps
// each user key's state in one slot; nil otherwise.
func watchMasters(cfg *workload.Config, promise algorithms.Promise) *masterTally {
	keyer, ok := promise.(algorithms.StateKeyer)
	if !ok {
		return nil
	}
	t := &masterTally{keyer: keyer}
	next := cfg.Observe
	cfg.Observe = func(s workload.Sample) {
		if k := s.Outcome.Kind; k == target.Accepted || k == target.Rejected {
			n, ok := t.keys.Load(s.KeyName)
			if !ok {
				n, _ = t.keys.LoadOrStore(s.KeyName, new(atomic.Int64))
			}
			n.(*atomic.Int64).Add(1)
		}
		if next != nil {
			next(s)
		}
	}
	return t
}

// shares are the decisions each master of tgt served, in the order of its
// shards, every master listed; nil when a key's master cannot be told.
func (t *masterTally) shares(ctx context.Context, tgt *redisconn.Target) []report.MasterShare {
	if t == nil {
		return nil
	}
	out := make([]report.MasterShare, len(tgt.Shards))
	index := make(map[string]int, len(tgt.Shards))
	for i, s := range tgt.Shards {
		out[i] = report.MasterShare{Master: s.Master}
		index[s.Master] = i
	}
	ok := true
	t.keys.Range(func(k, n any) bool {
		m, err := tgt.MasterOf(ctx, t.keyer.StateKey(k.(string)))
		i, known := index[m]
		if err != nil || !known {
			ok = false
			return false
		}
		out[i].Decisions += n.(*atomic.Int64).Load()
		return true
	})
	if !ok {
		return nil
	}
	return out
}

// topology is what the results file records of a cluster target; nil
// for any other.
func topology(t *redisconn.Target) *report.Topology {
	if t.Kind != redisconn.KindCluster {
		return nil
	}
	top := &report.Topology{Masters: len(t.Shards), Shards: make([]report.Shard, len(t.Shards))}
	for i, s := range t.Shards {
		top.Shards[i] = report.Shard{Master: s.Master, Slots: s.Slots, Replicas: s.Replicas}
		top.Replicas += len(s.Replicas)
	}
	return top
}
