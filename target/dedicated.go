package target

import (
	"context"
	"io"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/algorithms"
)

// Dedicated is the target of limiter l on the one Redis server client
// reaches: Limiter(l), except that in the closed model each worker decides
// on a connection of its own (PerWorker), with no pool to pass through and
// no health check per decision, under a deadline it keeps itself
// (SelfTimed). It is Limiter(l) when l cannot be rebound to a connection
// (algorithms.Rebinder) or client ignores context deadlines
// (ContextTimeoutEnabled off), since the deadline travels in the context.
func Dedicated(l algorithms.Limiter, client *redis.Client) Target {
	r, ok := l.(algorithms.Rebinder)
	if !ok || !client.Options().ContextTimeoutEnabled {
		return Limiter(l)
	}
	return dedicated{limiterTarget{l}, r, client}
}

type dedicated struct {
	limiterTarget
	rebinder algorithms.Rebinder
	client   *redis.Client
}

// ForWorker implements PerWorker.
func (d dedicated) ForWorker() (Target, io.Closer) {
	w := &worker{client: d.client, rebinder: d.rebinder}
	w.connect()
	return w, w
}

// worker decides on one connection: go-redis's Conn, which takes a
// connection from the client's pool on first use and keeps it.
type worker struct {
	client   *redis.Client
	rebinder algorithms.Rebinder
	conn     *redis.Conn
	l        algorithms.Limiter
	ctx      deadlineContext
}

func (w *worker) connect() {
	w.conn = w.client.Conn()
	w.l = w.rebinder.Rebind(w.conn)
}

// Decide implements Target.
func (w *worker) Decide(ctx context.Context, req Request) Outcome {
	d, err := w.l.AllowN(ctx, req.Key, req.Limit, req.Cost)
	if err != nil {
		// A failed connection may still have the answer on its way: it is
		// closed (go-redis removes a connection that failed from its pool)
		// and replaced, so that the answer can never be read as the next
		// decision's.
		_ = w.conn.Close()
		w.connect()
		return ClassifyRedis(err)
	}
	return Decided(d)
}

// DecideBy implements SelfTimed.
func (w *worker) DecideBy(ctx context.Context, req Request, deadline time.Time) Outcome {
	w.ctx.Context, w.ctx.deadline = ctx, deadline
	o := w.Decide(&w.ctx, req)
	w.ctx.Context = nil
	return o
}

// Close releases the connection.
func (w *worker) Close() error { return w.conn.Close() }
