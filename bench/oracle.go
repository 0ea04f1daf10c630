package bench

import (
	"github.com/rlbench/rlbench/report"
	"github.com/rlbench/rlbench/workload"
)

// oracleRun is the oracle of one run, when the load names a policy.
type oracleRun struct{ o *workload.Oracle }

// watchOracle hooks an oracle of policy to cfg (Config.Oracle): it sees
// every decision the run's target makes, before any observer. A policy of
// "" or workload.OracleNone hooks nothing.
func watchOracle(cfg *workload.Config, policy string) (*oracleRun, error) {
	if policy == "" || policy == workload.OracleNone {
		return nil, nil
	}
	o, err := workload.NewOracle(*cfg, policy, cfg.Start)
	if err != nil {
		return nil, err
	}
	cfg.Oracle = o
	return &oracleRun{o}, nil
}

// report is the run's oracle figures; nil without an oracle.
func (r *oracleRun) report() (*report.Oracle, error) {
	if r == nil {
		return nil, nil
	}
	return r.o.Report()
}
