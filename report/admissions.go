package report

import (
	"cmp"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
)

// MaxKeptAdmissions is how many admissions, over all keys, a run keeps in
// its results file for an exact merge. Past it Admissions.Complete is
// false and a merge can only bound accuracy. A million instants a few µs
// apart take 1-2 MB while the run lasts (a load generator keeps them as
// EncodeInstants's varints) and a third more in the file.
const MaxKeptAdmissions = 1_000_000

// Admissions keeps what an exact merge of several generators' accuracy
// needs: every admission instant of every key the run asked for, and the
// span in which each unknown outcome was decided, if it was.
type Admissions struct {
	// Complete is false when the run admitted more than the generator kept
	// (MaxKeptAdmissions): Keys then hold only the first admissions (a load
	// generator keeps each key's earliest).
	Complete bool            `json:"complete"`
	Keys     []KeyAdmissions `json:"keys"`
}

// KeyAdmissions is one key's admissions and the bounds it is held to, as
// its KeyAccuracy has them.
type KeyAdmissions struct {
	Key          string `json:"key"`
	Tier         string `json:"tier,omitempty"`
	WindowUS     int64  `json:"window_us"`
	Bound        int64  `json:"bound"`
	BurstSpanUS  int64  `json:"burst_span_us"`
	BurstBound   int64  `json:"burst_bound"`
	AlignedBound int64  `json:"aligned_bound"`
	// Instants are the admission instants, in µs on the limiter's clock,
	// as EncodeInstants writes them; an instant appears once per unit
	// admitted.
	Instants string `json:"instants"`
	// Unknown holds, for each unknown outcome of the key, the span
	// [from, to] in µs on the limiter's clock in which it was decided if
	// it was: EncodeInstants of from0, to0, from1, to1, ...
	Unknown string `json:"unknown,omitempty"`
	// Figures are the key's own figures as its generator computed them
	// over every admission, kept or not: what bounds a merge of runs whose
	// admissions were not all kept.
	Figures KeyAccuracy `json:"figures"`
}

// ErrBadInstants means an encoded list of instants does not decode.
var ErrBadInstants = errors.New("bad admission instants")

// EncodeInstants writes integers compactly: each as the signed varint of
// its difference from the one before, in base64. Sorted instants a few
// milliseconds apart take two or three bytes each.
func EncodeInstants(values []int64) string {
	buf := make([]byte, 0, 3*len(values))
	var prev int64
	for _, v := range values {
		buf = binary.AppendVarint(buf, v-prev)
		prev = v
	}
	return base64.StdEncoding.EncodeToString(buf)
}

// DecodeInstants reads what EncodeInstants wrote.
func DecodeInstants(encoded string) ([]int64, error) {
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadInstants, err)
	}
	var out []int64
	var prev int64
	for len(raw) > 0 {
		d, n := binary.Varint(raw)
		if n <= 0 {
			return nil, fmt.Errorf("%w: truncated varint at value %d", ErrBadInstants, len(out))
		}
		// Differences wrap as EncodeInstants's did, so any int64 survives.
		prev += d
		out = append(out, prev)
		raw = raw[n:]
	}
	return out, nil
}

// Span is a closed interval [From, To] of instants in µs.
type Span struct{ From, To int64 }

// DecodeSpans reads the Unknown field of KeyAdmissions.
func DecodeSpans(encoded string) ([]Span, error) {
	if encoded == "" {
		return nil, nil
	}
	flat, err := DecodeInstants(encoded)
	if err != nil {
		return nil, err
	}
	if len(flat)%2 != 0 {
		return nil, fmt.Errorf("%w: %d %s, want from/to pairs", ErrBadInstants, len(flat), Plural(len(flat), "value"))
	}
	spans := make([]Span, len(flat)/2)
	for i := range spans {
		spans[i] = Span{flat[2*i], flat[2*i+1]}
		if spans[i].To < spans[i].From {
			return nil, fmt.Errorf("%w: span %d ends before it starts", ErrBadInstants, i)
		}
	}
	return spans, nil
}

// EncodeSpans writes spans for the Unknown field of KeyAdmissions.
func EncodeSpans(spans []Span) string {
	if len(spans) == 0 {
		return ""
	}
	flat := make([]int64, 0, 2*len(spans))
	for _, s := range spans {
		flat = append(flat, s.From, s.To)
	}
	return EncodeInstants(flat)
}

// KeyFigures computes one key's accuracy from every one of its admission
// instants (sorted ascending) and the spans of its unknown outcomes,
// against the bounds in k. It is the exact computation that merge relies
// on; a load generator computes the same figures as a stream.
func KeyFigures(k KeyAdmissions, instants []int64, unknown []Span) KeyAccuracy {
	out := KeyAccuracy{
		Key: k.Key, Tier: k.Tier,
		Admitted: int64(len(instants)), Unknown: int64(len(unknown)),
		WindowUS: k.WindowUS, Bound: k.Bound,
		BurstSpanUS: k.BurstSpanUS, BurstBound: k.BurstBound,
		AlignedBound: k.AlignedBound,
	}
	most, start := MaxInSpan(instants, k.WindowUS)
	out.MaxAdmittedInWindow, out.WindowStartUS = int64(most), start
	out.MaxAdmittedInWindowAtMost = out.MaxAdmittedInWindow + MaxUnknownInSpan(unknown, k.WindowUS)
	most, _ = MaxInSpan(instants, k.BurstSpanUS)
	out.MaxAdmittedInBurst = int64(most)
	out.MaxAdmittedInBurstAtMost = out.MaxAdmittedInBurst + MaxUnknownInSpan(unknown, k.BurstSpanUS)
	if k.AlignedBound >= 0 {
		most, _ := MaxInAlignedWindow(instants, k.WindowUS)
		out.MaxAdmittedInAlignedWindow = int64(most)
		out.MaxAdmittedInAlignedWindowAtMost = out.MaxAdmittedInAlignedWindow + MaxUnknownInAlignedWindow(unknown, k.WindowUS)
	}
	out.SetOver()
	return out
}

// SetOver sets OverAdmitted and OverAdmittedAtMost from the key's figures:
// the largest excess over any of its bounds.
func (k *KeyAccuracy) SetOver() {
	k.OverAdmitted = k.excess(k.MaxAdmittedInWindow, k.MaxAdmittedInBurst, k.MaxAdmittedInAlignedWindow)
	k.OverAdmittedAtMost = k.excess(k.MaxAdmittedInWindowAtMost, k.MaxAdmittedInBurstAtMost, k.MaxAdmittedInAlignedWindowAtMost)
}

func (k *KeyAccuracy) excess(window, burst, aligned int64) int64 {
	var over int64
	if k.Bound >= 0 {
		over = max(over, window-k.Bound)
	}
	if k.BurstBound >= 0 && k.BurstSpanUS > 0 {
		over = max(over, burst-k.BurstBound)
	}
	if k.AlignedBound >= 0 {
		over = max(over, aligned-k.AlignedBound)
	}
	return over
}

// MaxInAlignedWindow is the most instants (sorted ascending) that fall in
// one epoch-aligned window [n·window, (n+1)·window), and that window's
// start. For instants 990, 999, 1000, 1500 and a window of 1000 it is 2
// from 1000.
func MaxInAlignedWindow(times []int64, window int64) (most int, start int64) {
	if window <= 0 {
		return 0, 0
	}
	for i := 0; i < len(times); {
		n := floorDiv(times[i], window)
		j := i
		for j < len(times) && floorDiv(times[j], window) == n {
			j++
		}
		if j-i > most {
			most, start = j-i, n*window
		}
		i = j
	}
	return most, start
}

// MaxUnknownInSpan is the most unknown outcomes that could have been
// decided within one half-open span of the given length: a span [s, s+d)
// can hold an outcome decided somewhere in [from, to] exactly when s lies
// in (from−d, to], so the answer is the deepest overlap of those ranges.
func MaxUnknownInSpan(unknown []Span, span int64) int64 {
	if span <= 0 || len(unknown) == 0 {
		return 0
	}
	ranges := make([]Span, len(unknown))
	for i, u := range unknown {
		// (from−d, to] on integers is [from−d+1, to].
		ranges[i] = Span{satSub(u.From, span-1), u.To}
	}
	return deepestOverlap(ranges)
}

// MaxUnknownInAlignedWindow is the most unknown outcomes that could have
// been decided within one epoch-aligned window.
func MaxUnknownInAlignedWindow(unknown []Span, window int64) int64 {
	if window <= 0 || len(unknown) == 0 {
		return 0
	}
	ranges := make([]Span, len(unknown))
	for i, u := range unknown {
		ranges[i] = Span{floorDiv(u.From, window), floorDiv(u.To, window)}
	}
	return deepestOverlap(ranges)
}

// deepestOverlap is the largest number of closed integer ranges that share
// one point.
func deepestOverlap(ranges []Span) int64 {
	type edge struct {
		at    int64
		delta int64
	}
	edges := make([]edge, 0, 2*len(ranges))
	for _, r := range ranges {
		edges = append(edges, edge{r.From, 1}, edge{r.To, -1})
	}
	// Openings before closings at one point: closed ranges that touch
	// share it.
	slices.SortFunc(edges, func(a, b edge) int {
		return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(b.delta, a.delta))
	})
	var depth, deepest int64
	for _, e := range edges {
		depth += e.delta
		deepest = max(deepest, depth)
	}
	return deepest
}

// Summarise fills the per-row figures of an Accuracy from its keys: the
// sums, the worst key's own figures, and the worst keys. It leaves the
// long-run rates to the caller.
//
// The worst key is the one certainly furthest over its bounds, then the
// one that may be furthest over, then the one closest to its window bound.
func Summarise(keys []KeyAccuracy) Accuracy {
	acc := Accuracy{Bound: -1, BurstBound: -1, AlignedBound: -1, Keys: int64(len(keys))}
	if len(keys) == 0 {
		return acc
	}
	for _, k := range keys {
		acc.OverAdmitted += k.OverAdmitted
		acc.OverAdmittedAtMost += k.OverAdmittedAtMost
		if k.OverAdmitted > 0 {
			acc.KeysOverBound++
		}
		if k.OverAdmittedAtMost > 0 {
			acc.KeysMaybeOverBound++
		}
	}
	worst := slices.Clone(keys)
	slices.SortStableFunc(worst, compareWorst)
	w := worst[0]
	acc.MaxAdmittedInWindow, acc.MaxAdmittedInWindowAtMost, acc.Bound = w.MaxAdmittedInWindow, w.MaxAdmittedInWindowAtMost, w.Bound
	acc.MaxAdmittedInBurst, acc.BurstBound, acc.BurstSpanUS = w.MaxAdmittedInBurst, w.BurstBound, w.BurstSpanUS
	acc.MaxAdmittedInAlignedWindow, acc.AlignedBound = w.MaxAdmittedInAlignedWindow, w.AlignedBound
	acc.WorstKey, acc.WorstTier = w.Key, w.Tier
	acc.WorstKeys = worst[:min(len(worst), MaxWorstKeys)]
	return acc
}

// compareWorst orders keys worst first.
func compareWorst(a, b KeyAccuracy) int {
	margin := func(k KeyAccuracy) int64 {
		if k.Bound < 0 {
			return math.MinInt64
		}
		return k.MaxAdmittedInWindow - k.Bound
	}
	return cmp.Or(
		cmp.Compare(b.OverAdmitted, a.OverAdmitted),
		cmp.Compare(b.OverAdmittedAtMost, a.OverAdmittedAtMost),
		cmp.Compare(margin(b), margin(a)),
		cmp.Compare(b.MaxAdmittedInWindow, a.MaxAdmittedInWindow),
		cmp.Compare(a.Key, b.Key),
	)
}

// floorDiv is ⌊a/b⌋ for b > 0, also for negative a.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// satSub is a−b, saturating at the int64 range.
func satSub(a, b int64) int64 {
	if b > 0 && a < math.MinInt64+b {
		return math.MinInt64
	}
	return a - b
}
