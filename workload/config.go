package workload

import (
	"errors"
	"fmt"
	"time"

	"github.com/rlbench/rlbench/algorithms"
)

// ErrInvalidConfig is returned by Run, before anything is sent, for a Config
// that cannot describe a run; the message names the field and what it
// accepts.
var ErrInvalidConfig = errors.New("invalid workload")

// Config describes one run of one algorithm in the closed model: Concurrency
// workers send back to back, each waiting for its decision before the next,
// until Requests have been sent in total.
//
// Config{Limiter: l, Limit: algorithms.Limit{Requests: 100, Window: time.Minute},
// Key: "user:1", Concurrency: 64, Requests: 640} is the seed's hot-key storm:
// 64 callers race for one key, and an atomic algorithm admits exactly 100.
type Config struct {
	// Limiter decides every request.
	Limiter algorithms.Limiter
	// Limit is what each request is checked against.
	Limit algorithms.Limit
	// Key is the user key every request asks for.
	Key string
	// Cost is the units each request asks for; 0 means 1.
	Cost int64
	// Concurrency is the number of workers, at least 1.
	Concurrency int
	// Requests is how many requests to send in total, at least 1.
	Requests int64
	// Timeout bounds each decision, pool wait and round trip included; a
	// decision that outlives it is a timeout error. 0 means no bound
	// beyond the client's own read and write timeouts.
	Timeout time.Duration
}

// withDefaults fills the fields whose zero value stands for a default.
func (c Config) withDefaults() Config {
	if c.Cost == 0 {
		c.Cost = 1
	}
	return c
}

func (c Config) validate() error {
	switch {
	case c.Limiter == nil:
		return fmt.Errorf("%w: no limiter", ErrInvalidConfig)
	case c.Key == "":
		return fmt.Errorf("%w: key is empty", ErrInvalidConfig)
	case c.Cost < 1:
		return fmt.Errorf("%w: cost %d must be at least 1", ErrInvalidConfig, c.Cost)
	case c.Concurrency < 1:
		return fmt.Errorf("%w: concurrency %d must be at least 1", ErrInvalidConfig, c.Concurrency)
	case c.Requests < 1:
		return fmt.Errorf("%w: requests %d must be at least 1", ErrInvalidConfig, c.Requests)
	case c.Timeout < 0:
		return fmt.Errorf("%w: timeout %v must be 0 (none) or positive", ErrInvalidConfig, c.Timeout)
	}
	if err := c.Limit.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return nil
}
