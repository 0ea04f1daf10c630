package bench

import (
	"time"

	"github.com/rlbench/rlbench/algorithms"
)

// Run is one run of a plan: an algorithm under a workload and a limit,
// through a Redis client, and which repetition it is; ClockSkew is how far
// its slowest caller's clock lags (Load.ClockSkew's D).
type Run struct {
	Algorithm, Workload string
	Limit               algorithms.Limit
	Repeat              int
	ClockSkew           time.Duration
	// Client is the Redis client the run decides through ("go-redis",
	// "rueidis"); "" for the default, and for a target that is no Redis.
	Client string
}

// Plan is a matrix of runs: every algorithm under every workload, for
// every limit, every clock skew (none when ClockSkews is empty) and
// through every client, Count times.
type Plan struct {
	Algorithms, Workloads []string
	Limits                []algorithms.Limit
	ClockSkews            []time.Duration
	Count                 int
	// Clients are the Redis clients each algorithm runs through, in
	// turn; none means the default alone.
	Clients []string
}

// Runs lists the plan's runs with repetitions outermost and clients
// innermost, so that a slow moment of the machine falls on every
// algorithm and client alike rather than on one.
func (p Plan) Runs() []Run {
	skews := p.ClockSkews
	if len(skews) == 0 {
		skews = []time.Duration{0}
	}
	var runs []Run
	clients := p.Clients
	if len(clients) == 0 {
		clients = []string{""}
	}
	for repeat := range max(p.Count, 1) {
		for _, limit := range p.Limits {
			for _, skew := range skews {
				for _, w := range p.Workloads {
					for _, a := range p.Algorithms {
						for _, c := range clients {
							runs = append(runs, Run{Algorithm: a, Workload: w, Limit: limit, Repeat: repeat, ClockSkew: skew, Client: c})
						}
					}
				}
			}
		}
	}
	return runs
}
