package bench

import "github.com/rlbench/rlbench/algorithms"

// Run is one run of a plan: an algorithm under a workload and a limit,
// through a Redis client, and which repetition it is.
type Run struct {
	Algorithm, Workload string
	Limit               algorithms.Limit
	Repeat              int
	// Client is the Redis client the run decides through ("go-redis",
	// "rueidis"); "" for the default, and for a target that is no Redis.
	Client string
}

// Plan is a matrix of runs: every algorithm under every workload, for
// every limit, through every client, Count times.
type Plan struct {
	Algorithms, Workloads []string
	Limits                []algorithms.Limit
	Count                 int
	// Clients are the Redis clients each algorithm runs through, in
	// turn; none means the default alone.
	Clients []string
}

// Runs lists the plan's runs with repetitions outermost and clients
// innermost, so that a slow moment of the machine falls on every
// algorithm and client alike rather than on one.
func (p Plan) Runs() []Run {
	var runs []Run
	clients := p.Clients
	if len(clients) == 0 {
		clients = []string{""}
	}
	for repeat := range max(p.Count, 1) {
		for _, limit := range p.Limits {
			for _, w := range p.Workloads {
				for _, a := range p.Algorithms {
					for _, c := range clients {
						runs = append(runs, Run{Algorithm: a, Workload: w, Limit: limit, Repeat: repeat, Client: c})
					}
				}
			}
		}
	}
	return runs
}
