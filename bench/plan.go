package bench

import "github.com/rlbench/rlbench/algorithms"

// Run is one run of a plan: an algorithm under a workload and a limit, and
// which repetition it is.
type Run struct {
	Algorithm, Workload string
	Limit               algorithms.Limit
	Repeat              int
}

// Plan is a matrix of runs: every algorithm under every workload, for
// every limit, Count times.
type Plan struct {
	Algorithms, Workloads []string
	Limits                []algorithms.Limit
	Count                 int
}

// Runs lists the plan's runs with repetitions outermost, so that a slow
// moment of the machine falls on every algorithm alike rather than on one.
func (p Plan) Runs() []Run {
	var runs []Run
	for repeat := range max(p.Count, 1) {
		for _, limit := range p.Limits {
			for _, w := range p.Workloads {
				for _, a := range p.Algorithms {
					runs = append(runs, Run{Algorithm: a, Workload: w, Limit: limit, Repeat: repeat})
				}
			}
		}
	}
	return runs
}
