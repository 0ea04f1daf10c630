package algorithms

// WindowAligned is implemented by the limiters that also promise a limit
// per epoch-aligned window [n·W, (n+1)·W) of their clock, since they count
// admissions per such window: the fixed window, the sliding-window counter
// and the seed's fixed window. Across a boundary they may admit twice that
// (Bound), but never more than AlignedBound in one aligned window, so a
// counter lost mid-window shows here and nowhere else.
type WindowAligned interface {
	// AlignedBound is the most admissions for one key in one aligned
	// window of limit.Window.
	AlignedBound(limit Limit) int64
}

// AlignedBound implements WindowAligned: Requests per window.
func (f *FixedWindow) AlignedBound(limit Limit) int64 { return limit.Requests }

// AlignedBound implements WindowAligned: the current window's own count
// never passes Requests, whatever the previous window's weight.
func (s *SlidingCounter) AlignedBound(limit Limit) int64 { return limit.Requests }

// AlignedBound implements WindowAligned: INCR is atomic, so a window's
// count passes Requests only for rejected requests.
func (s *SeedFixed) AlignedBound(limit Limit) int64 { return limit.Requests }

// AlignedBoundOf is p's per-aligned-window promise under limit, or NoBound
// when p makes none.
func AlignedBoundOf(p Promise, limit Limit) int64 {
	if a, ok := p.(WindowAligned); ok {
		return a.AlignedBound(limit)
	}
	return NoBound
}
