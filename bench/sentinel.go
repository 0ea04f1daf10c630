package bench

import (
	"github.com/rlbench/rlbench/internal/redisconn"
	"github.com/rlbench/rlbench/report"
)

// sentinelTopology is what the results file records of a Sentinel
// deployment; nil for any other target.
func sentinelTopology(t *redisconn.SentinelTopology) *report.SentinelTopology {
	if t == nil {
		return nil
	}
	return &report.SentinelTopology{
		MasterName: t.MasterName,
		Master:     t.Master,
		Replicas:   t.Replicas,
		Sentinels:  t.Sentinels,
		Quorum:     t.Quorum,
	}
}
