package bench

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rlbench/rlbench/workload"
)

// StartAtGrace is how far past Load.StartAt the first run may begin. A
// start that little late keeps its schedule anchored at StartAt (the
// slots already due go out at once and count as late), so that a
// generator launched a moment behind the others still shares their
// schedule; any later and its schedule would open with a burst that no
// generator asked for, so the run is refused instead.
const StartAtGrace = time.Second

// MaxStartAhead bounds how far ahead Load.StartAt may be: further is a
// mistaken day or year rather than a plan.
const MaxStartAhead = 24 * time.Hour

// ErrStartAt means Load.StartAt is too far past or ahead to keep to.
var ErrStartAt = errors.New("start time out of range")

// CheckStartAt is nil when a first run starting at now may keep to a
// schedule anchored at at: at most StartAtGrace late, at most
// MaxStartAhead early. Otherwise it is a *workload.FieldError for
// "start-at".
func CheckStartAt(at, now time.Time) error {
	d := at.Sub(now)
	var problem string
	switch {
	case d < -StartAtGrace:
		problem = shortAmount(-d) + " in the past"
	case d > MaxStartAhead:
		problem = shortAmount(d) + " ahead"
	default:
		return nil
	}
	return &workload.FieldError{
		Kind:  ErrStartAt,
		Field: "start-at",
		Value: at.Format(time.RFC3339Nano),
		Want:  fmt.Sprintf("%s; want from %s past to %s ahead", problem, StartAtGrace, "24h"),
	}
}

// shortAmount writes d to a tenth of a second below a minute, to the
// second above: 2.5s, 26h0m3s.
func shortAmount(d time.Duration) string {
	if d < time.Minute {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// waitStart waits until at, or until ctx is done; a zero at is no wait.
// The instant itself is checked again first, since connecting may have
// taken longer than the grace.
func waitStart(ctx context.Context, at time.Time) error {
	if at.IsZero() {
		return nil
	}
	if err := CheckStartAt(at, time.Now()); err != nil {
		return err
	}
	t := time.NewTimer(time.Until(at))
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
	return nil
}
