package bench

import (
	"time"

	"github.com/rlbench/rlbench/algorithms"
)

// Run is one run of a plan: an algorithm under a workload and a limit, and
// which repetition it is; ClockSkew is how far its slowest caller's clock
// lags (Load.ClockSkew's D).
type Run struct {
	Algorithm, Workload string
	Limit               algorithms.Limit
	Repeat              int
	ClockSkew           time.Duration
}

// Plan is a matrix of runs: every algorithm under every workload, for
// every limit and every clock skew (none when ClockSkews is empty), Count
// times.
type Plan struct {
	Algorithms, Workloads []string
	Limits                []algorithms.Limit
	ClockSkews            []time.Duration
	Count                 int
}

// Runs lists the plan's runs with repetitions outermost, so that a slow
// moment of the machine falls on every algorithm alike rather than on one.
func (p Plan) Runs() []Run {
	skews := p.ClockSkews
	if len(skews) == 0 {
		skews = []time.Duration{0}
	}
	var runs []Run
	for repeat := range max(p.Count, 1) {
		for _, limit := range p.Limits {
			for _, skew := range skews {
				for _, w := range p.Workloads {
					for _, a := range p.Algorithms {
						runs = append(runs, Run{Algorithm: a, Workload: w, Limit: limit, Repeat: repeat, ClockSkew: skew})
					}
				}
			}
		}
	}
	return runs
}
