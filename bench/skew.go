package bench

import (
	"cmp"
	"context"
	"time"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/target"
)

// ClockSkew is how the callers' clocks disagree in a --clock-skew run:
// requests go to Groups groups, Block consecutive requests at a time, and
// group g's clock lags true time by D·(Groups−1−g)/(Groups−1), so that
// group 0 is D slow and the last group keeps true time. Clocks only lag:
// a caller whose clock runs ahead is one whose peers lag it.
//
// Only the instant a limiter is handed is skewed. Every request is still
// counted (accuracy, the promise) at true time, so what a late clock lets
// through shows as over-admission.
type ClockSkew struct {
	D      time.Duration
	Groups int
	Block  uint64
}

// Defaults of --clock-groups and --clock-block.
const (
	DefaultClockGroups = 2
	DefaultClockBlock  = 1
	MaxClockGroups     = 1000
)

// Lag is how far group g's clock runs behind true time.
func (s ClockSkew) Lag(g int) time.Duration {
	if s.Groups < 2 {
		return 0
	}
	return time.Duration(int64(s.D) * int64(s.Groups-1-g) / int64(s.Groups-1))
}

// Group is the group of request index: blocks of Block requests go to the
// groups in turn.
func (s ClockSkew) Group(index uint64) int {
	return int(index / max(s.Block, 1) % uint64(max(s.Groups, 1)))
}

// skewed is a clock that lags base by lag.
func skewed(base algorithms.Clock, lag time.Duration) algorithms.Clock {
	return algorithms.ClockFunc(func() time.Time { return base.Now().Add(-lag) })
}

// skewTarget decides each request with the limiter of its group, whose
// clock lags by that group's lag, and moves the decision's instant back
// onto true time.
type skewTarget struct {
	skew    ClockSkew
	targets []target.Target
}

// newSkewTarget builds one limiter per group of skew, each on a clock that
// lags base by its group's lag, with opts' other settings.
func newSkewTarget(skew ClockSkew, build func(algorithms.Options) (algorithms.Limiter, error), opts algorithms.Options) (target.Target, algorithms.Limiter, error) {
	t := &skewTarget{skew: skew}
	var last algorithms.Limiter
	for g := range skew.Groups {
		o := opts
		o.Clock = skewed(opts.Clock, skew.Lag(g))
		l, err := build(o)
		if err != nil {
			return nil, nil, err
		}
		t.targets, last = append(t.targets, target.Limiter(l)), l
	}
	return t, last, nil
}

func (t *skewTarget) Decide(ctx context.Context, req target.Request) target.Outcome {
	g := t.skew.Group(req.Index)
	o := t.targets[g].Decide(ctx, req)
	if !o.Said.At.IsZero() {
		o.Said.At = o.Said.At.Add(t.skew.Lag(g))
	}
	return o
}

// skewPadding is the TTL padding of a client-clock run skewed by d: the
// allowance (0 meaning algorithms.DefaultClockSkewAllowance), and at least
// d, so that a key does not expire, on the server's clock, while a lagging
// caller's state still counts.
func skewPadding(allowance, d time.Duration) time.Duration {
	if allowance == 0 {
		allowance = algorithms.DefaultClockSkewAllowance
	}
	return max(allowance, d)
}

// clockSkew is the ClockSkew of a run skewed by d under l's groups and
// blocks (their defaults when unset).
func (l *Load) clockSkew(d time.Duration) ClockSkew {
	return ClockSkew{D: d, Groups: cmp.Or(l.ClockGroups, DefaultClockGroups), Block: uint64(cmp.Or(l.ClockBlock, DefaultClockBlock))}
}
