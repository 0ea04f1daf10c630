package algorithms

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Request is one request of a batch: N units of Key's allowance under Limit.
type Request struct {
	Key   string
	Limit Limit
	N     int64
}

// Result is the answer to one request of a batch: its Decision, or the
// error AllowN would have returned for it.
type Result struct {
	Decision Decision
	Err      error
}

// Batcher is a Limiter that decides many requests in one round trip, a
// pipeline, as redis-benchmark -P and memtier --pipeline send: the way to
// find how many decisions one Redis can take. The atomic algorithms and the
// baseline are Batchers; the seed replays, several commands per decision,
// are not.
//
// Sending reqs [{user:1, 10/s, 1}, {user:2, 10/s, 1}] sends two EVALSHA in
// one write and reads both replies; each decision is what AllowN would
// have said for it, and other clients' decisions may fall between them (a
// batch is not a transaction).
type Batcher interface {
	Limiter
	// AllowBatch decides every request of reqs, writing each one's
	// decision or error into out, which must be as long as reqs. A round
	// trip that fails (a timeout, a lost connection) fails every request
	// it carried with that error.
	AllowBatch(ctx context.Context, reqs []Request, out []Result)
}

// ErrNoPipeline is the error of every request of a batch sent to a Redis
// client that cannot pipeline.
var ErrNoPipeline = errors.New("the redis client cannot pipeline")

// pipeliner is a Redis client that can pipeline: every redis.Cmdable
// (a single node, a Cluster, a Sentinel's master).
type pipeliner interface {
	Pipeline() redis.Pipeliner
}

// AllowBatch implements Batcher: one EVALSHA per request in one pipeline,
// each reply type-checked as AllowN's, and those that found the script
// missing (NOSCRIPT: a restart or a SCRIPT FLUSH since it was loaded) sent
// again as EVAL in a second one, as go-redis Script.Run does for one.
func (s scripted) AllowBatch(ctx context.Context, reqs []Request, out []Result) {
	p, ok := s.rdb.(pipeliner)
	if !ok {
		failAll(out, fmt.Errorf("%s: %w", s.name, ErrNoPipeline))
		return
	}
	type call struct {
		keys []string
		argv []any
	}
	calls := make([]call, len(reqs))
	cmds := make([]*redis.Cmd, len(reqs))
	pipe := p.Pipeline()
	for i, r := range reqs {
		keys, argv, err := s.call(r.Key, r.Limit, r.N)
		if err != nil {
			out[i] = Result{Err: err}
			continue
		}
		calls[i] = call{keys, argv}
		cmds[i] = s.script.EvalSha(ctx, pipe, keys, argv...)
	}
	// Exec's error is that of the first failed command: each is read below.
	_, _ = pipe.Exec(ctx)
	var again redis.Pipeliner
	for i, cmd := range cmds {
		switch {
		case cmd == nil:
		case redis.HasErrorPrefix(cmd.Err(), "NOSCRIPT"):
			if again == nil {
				again = p.Pipeline()
			}
			cmds[i] = s.script.Eval(ctx, again, calls[i].keys, calls[i].argv...)
		default:
			out[i].Decision, out[i].Err = s.decision(cmd.Result())
			cmds[i] = nil
		}
	}
	if again == nil {
		return
	}
	_, _ = again.Exec(ctx)
	for i, cmd := range cmds {
		if cmd != nil {
			out[i].Decision, out[i].Err = s.decision(cmd.Result())
		}
	}
}

// AllowBatch implements Batcher: one pipeline of PINGs, each allowed.
func (b *Baseline) AllowBatch(ctx context.Context, reqs []Request, out []Result) {
	cmds := make([]*redis.StatusCmd, len(reqs))
	pipe := b.rdb.Pipeline()
	for i, r := range reqs {
		if err := checkRequest(r.Limit, r.N); err != nil {
			out[i] = Result{Err: err}
			continue
		}
		cmds[i] = pipe.Ping(ctx)
	}
	_, _ = pipe.Exec(ctx)
	for i, cmd := range cmds {
		if cmd != nil {
			out[i].Decision, out[i].Err = b.pong(reqs[i].Limit, cmd.Err())
		}
	}
}

// pong is the baseline's decision on a PING that returned err.
func (b *Baseline) pong(limit Limit, err error) (Decision, error) {
	if err != nil {
		return Decision{}, fmt.Errorf("baseline: %w", err)
	}
	at := time.Now()
	if b.opts.Clock != nil {
		at = b.opts.Clock.Now()
	}
	return Decision{Allowed: true, Remaining: limit.Capacity(), At: at}, nil
}

func failAll(out []Result, err error) {
	for i := range out {
		out[i] = Result{Err: err}
	}
}
