package target

import (
	"context"
	"io"
	"time"
)

// SelfTimed is a Target that keeps a decision's deadline itself, more
// cheaply than the context.WithTimeout (a context and a timer) the engine
// would otherwise make for every decision.
type SelfTimed interface {
	Target
	// DecideBy is Decide bounded by deadline: an answer that has not come
	// by then is an Unknown outcome of ClassTimeout, as under a context
	// with that deadline.
	DecideBy(ctx context.Context, req Request, deadline time.Time) Outcome
}

// PerWorker is a Target that serves each worker of the closed model from
// an instance of its own, such as one holding a connection of its own.
type PerWorker interface {
	Target
	// ForWorker returns one worker's instance, used from that worker's
	// goroutine alone, and what releases it when the worker is done.
	ForWorker() (Target, io.Closer)
}

// deadlineContext is a context whose deadline is set for each decision
// of one worker, reused, so that a decision makes no context and no timer.
// Its deadline reaches Redis as go-redis's socket deadlines, which it
// reads from Deadline (Options.ContextTimeoutEnabled); Done is the
// parent's, so nothing else waits on it. Not safe for concurrent use.
type deadlineContext struct {
	context.Context
	deadline time.Time
}

func (c *deadlineContext) Deadline() (time.Time, bool) {
	if d, ok := c.Context.Deadline(); ok && d.Before(c.deadline) {
		return d, true
	}
	return c.deadline, true
}

func (c *deadlineContext) Err() error {
	if err := c.Context.Err(); err != nil {
		return err
	}
	if !time.Now().Before(c.deadline) {
		return context.DeadlineExceeded
	}
	return nil
}
