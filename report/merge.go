package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// ErrMergeMismatch means Merge was given results that did not come from
// one configuration run at the same time against one target; the wrapping
// error names the first field that differs and both values.
var ErrMergeMismatch = errors.New("results do not match")

// ErrBadHistogram means a run's encoded histogram is missing or does not
// decode, so its latencies cannot be merged exactly.
var ErrBadHistogram = errors.New("bad histogram")

// Merge combines the results of several load generators that ran the same
// configuration at the same time against the same target into the result
// of their combined load, as one generator too small for the load would
// have seen it. It refuses (ErrMergeMismatch) files whose Config (all but
// the Seed and GeneratorID, each generator's own; StartAt included, so
// generators told to start at different instants do not merge), Target
// kind or address, set of runs, or time-series interval differ.
//
// Runs are matched by RunKey and Repeat. In the result:
//   - counts, errors by class and over-range latencies add up;
//   - histograms merge exactly (ErrBadHistogram when one is missing or
//     corrupt), and percentiles are recomputed from them;
//   - rates add, since the generators ran concurrently; elapsed time is
//     the longest;
//   - time series align on absolute time (StartedAt + t_us) and add: each
//     point goes to the merged interval holding its start, so a point may
//     move by less than one interval;
//   - StartedAt is the earliest, EndedAt the latest, the end reason the
//     worst (error, then interrupted, then completed), and Generators the
//     sum (0 counting as 1);
//   - Tool, Host, Target and Config, Seed included, are the first file's;
//     GeneratorIDs lists every file's generators in order (none when a
//     file has no generator_id), and GeneratorID is no one's.
//
// Accuracy is merged key by key from the admissions each file keeps
// (Run.Admissions): the instants of every generator are put together per
// key and the figures computed again, exactly as one generator would have
// computed them, so two generators that each admitted 100 on a key of
// limit 100 at different times merge to 100, and 70 plus 60 in the same
// second merge to 130. Where a generator could not keep all its admissions
// the merged figures are an interval: at least what the kept instants and
// each generator alone show, at most the sum of the generators' own. Files
// from before admissions were kept merge to an upper bound only: the sum of
// each one's busiest window.
//
// Merge also refuses (ErrMergeMismatch) one generator's file given twice
// (the same generator_id, or the same start in files without one; also two
// generators given the same --generator-id), and
// files whose runs never overlapped in time.
//
// Merging one file returns a copy of it with Generators at least 1:
// there is nothing to combine, so nothing is recomputed. The inputs are
// never modified.
func Merge(files ...*File) (*File, error) {
	if len(files) == 0 {
		return nil, errors.New("merge results: no files")
	}
	for i, f := range files {
		if f == nil {
			return nil, fmt.Errorf("merge results: file %d is nil", i+1)
		}
	}
	if len(files) == 1 {
		out := cloneFile(files[0])
		for i := range out.Runs {
			out.Runs[i].Generators = max(out.Runs[i].Generators, 1)
		}
		return out, nil
	}

	first := files[0]
	for i, f := range files[1:] {
		if err := sameSetup(first, f, i+2); err != nil {
			return nil, err
		}
	}
	if err := distinctGenerators(files); err != nil {
		return nil, err
	}
	if err := overlapping(files); err != nil {
		return nil, err
	}
	// matched[i][j] is the run of file i that merges into run j of the
	// first file.
	matched := make([][]*Run, len(files))
	for i, f := range files {
		runs, err := matchRuns(first, f, i+1)
		if err != nil {
			return nil, err
		}
		matched[i] = runs
	}

	out := cloneFile(first)
	out.Runs = make([]Run, len(first.Runs))
	// The merged file is no one generator's: it lists them all.
	out.GeneratorID, out.Config.GeneratorID, out.GeneratorIDs = "", "", nil
	for _, f := range files {
		ids := generatorIDs(f)
		if ids == nil {
			out.GeneratorIDs = nil
			break
		}
		out.GeneratorIDs = append(out.GeneratorIDs, ids...)
	}
	var errs []string
	for _, f := range files {
		out.StartedAt = earliest(out.StartedAt, f.StartedAt)
		if f.EndedAt.After(out.EndedAt) {
			out.EndedAt = f.EndedAt
		}
		out.EndReason = worseEnd(out.EndReason, f.EndReason)
		if f.Error != "" && !slices.Contains(errs, f.Error) {
			errs = append(errs, f.Error)
		}
	}
	out.Error = strings.Join(errs, "; ")
	for j := range first.Runs {
		parts := make([]*Run, len(files))
		for i := range files {
			parts[i] = matched[i][j]
		}
		run, err := mergeRun(files, parts)
		if err != nil {
			return nil, err
		}
		out.Runs[j] = run
	}
	return out, nil
}

// sameSetup checks that f (the n-th file) ran what the first did.
func sameSetup(first, f *File, n int) error {
	if err := sameFields("config", reflect.ValueOf(first.Config), reflect.ValueOf(f.Config), n); err != nil {
		return err
	}
	if first.Target.Kind != f.Target.Kind {
		return mismatch("target.kind", first.Target.Kind, f.Target.Kind, n)
	}
	if first.Target.Address != f.Target.Address {
		return mismatch("target.address", first.Target.Address, f.Target.Address, n)
	}
	return nil
}

// sameFields compares two values of one struct type field by field, by
// their JSON names, skipping config.seed, and names the first difference.
// Walking the fields, rather than comparing whole structs, is what lets
// the error say which setting differs, and keeps up with fields added to
// Config later.
func sameFields(path string, a, b reflect.Value, n int) error {
	for i := range a.NumField() {
		field := a.Type().Field(i)
		name, _, _ := strings.Cut(field.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			name = field.Name
		}
		name = path + "." + name
		if name == "config.seed" || name == "config.generator_id" {
			continue // each generator's own
		}
		x, y := a.Field(i), b.Field(i)
		switch {
		case x.Type() == reflect.TypeFor[time.Time]():
			if tx, ty := x.Interface().(time.Time), y.Interface().(time.Time); !tx.Equal(ty) {
				return mismatch(name, tx, ty, n)
			}
		case x.Kind() == reflect.Struct:
			if err := sameFields(name, x, y, n); err != nil {
				return err
			}
		case (x.Kind() == reflect.Slice || x.Kind() == reflect.Map) && x.Len() == 0 && y.Len() == 0:
			// Absent and empty are the same setting.
		case !reflect.DeepEqual(x.Interface(), y.Interface()):
			return mismatch(name, x.Interface(), y.Interface(), n)
		}
	}
	return nil
}

// mismatch is the ErrMergeMismatch naming field and the values in the
// first and the n-th file, written as JSON as in the files themselves.
func mismatch(field string, first, other any, n int) error {
	show := func(v any) string {
		if t, ok := v.(time.Time); ok && t.IsZero() {
			return "absent"
		}
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Sprint(v)
		}
		return string(b)
	}
	return fmt.Errorf("%w: %s is %s in file 1 but %s in file %d", ErrMergeMismatch, field, show(first), show(other), n)
}

// runID tells apart runs to be merged: key, repetition, and the
// occurrence of both in its file, in case a file holds one twice.
type runID struct {
	key         string
	repeat, nth int
}

func (id runID) String() string {
	s := "run " + id.key
	if id.repeat != 0 {
		s += fmt.Sprintf(" (repeat %d)", id.repeat)
	}
	return s
}

func runIDs(f *File) []runID {
	seen := map[runID]int{}
	ids := make([]runID, len(f.Runs))
	for i, r := range f.Runs {
		id := runID{key: RunKey(r), repeat: r.Repeat}
		n := seen[id]
		seen[id]++
		id.nth = n
		ids[i] = id
	}
	return ids
}

// matchRuns finds, for each run of first, the run of f (the n-th file)
// to merge with it, and refuses runs that either file lacks.
func matchRuns(first, f *File, n int) ([]*Run, error) {
	firstIDs, ids := runIDs(first), runIDs(f)
	index := make(map[runID]int, len(ids))
	for i, id := range ids {
		index[id] = i
	}
	out := make([]*Run, len(firstIDs))
	for j, id := range firstIDs {
		i, ok := index[id]
		if !ok {
			return nil, fmt.Errorf("%w: runs: %s is in file 1 but not in file %d", ErrMergeMismatch, id, n)
		}
		out[j] = &f.Runs[i]
		delete(index, id)
	}
	for _, id := range ids {
		if _, extra := index[id]; extra {
			return nil, fmt.Errorf("%w: runs: %s is in file %d but not in file 1", ErrMergeMismatch, id, n)
		}
	}
	return out, nil
}

// mergeRun merges parts[i], the run of files[i], into one run whose time
// series starts at start.
func mergeRun(files []*File, parts []*Run) (Run, error) {
	first := parts[0]
	out := Run{
		Algorithm:   first.Algorithm,
		Workload:    first.Workload,
		Limit:       first.Limit,
		Repeat:      first.Repeat,
		ClockSkewUS: first.ClockSkewUS,
		Counts:      Counts{ErrorsByClass: map[string]int64{}},
		Generator:   Generator{MissAfterUS: first.Generator.MissAfterUS},
		Accuracy:    Accuracy{Bound: first.Accuracy.Bound},
	}
	out.Schedule = first.Schedule
	name := runID{key: RunKey(*first), repeat: first.Repeat}.String()
	var response, service []*hdrhistogram.Histogram
	var sumMax, mostOver int64
	for i, r := range parts {
		if r.Timeseries.IntervalUS != first.Timeseries.IntervalUS {
			return Run{}, mismatch(name+": timeseries.interval_us", first.Timeseries.IntervalUS, r.Timeseries.IntervalUS, i+1)
		}
		out.Said = mergeSaid(out.Said, r.Said)
		out.Masters = mergeMasters(out.Masters, r.Masters, i)
		out.RedisCostUnavailable = mergeCostUnavailable(out.RedisCostUnavailable, r)
		if r.Oracle != nil || r.OracleUnavailable != "" {
			out.OracleUnavailable = oracleUnavailableMerged
		}
		c := r.Counts
		out.Counts.Sent += c.Sent
		out.Counts.Accepted += c.Accepted
		out.Counts.Rejected += c.Rejected
		out.Counts.Errors += c.Errors
		out.Counts.Unknown += c.Unknown
		out.Counts.Missed += c.Missed
		out.Counts.Waited += c.Waited
		out.Counts.WaitedUS += c.WaitedUS
		for class, n := range c.ErrorsByClass {
			out.Counts.ErrorsByClass[class] += n
		}
		for class, n := range c.UnknownByClass {
			if out.Counts.UnknownByClass == nil {
				out.Counts.UnknownByClass = map[string]int64{}
			}
			out.Counts.UnknownByClass[class] += n
		}
		out.Rates.OfferedPerS += r.Rates.OfferedPerS
		out.Rates.AchievedPerS += r.Rates.AchievedPerS
		out.Rates.AcceptedPerS += r.Rates.AcceptedPerS
		out.Latency.OverRange += r.Latency.OverRange

		h, err := decodeHistogram(r.Latency.Histogram, r.Counts.Sent)
		if err != nil {
			return Run{}, fmt.Errorf("file %d, %s: latency.histogram: %w", i+1, name, err)
		}
		response = append(response, h)
		h, err = decodeHistogram(r.Latency.ServiceHistogram, r.Counts.Sent)
		if err != nil {
			return Run{}, fmt.Errorf("file %d, %s: latency.service_histogram: %w", i+1, name, err)
		}
		service = append(service, h)

		a := r.Accuracy
		sumMax += a.MaxAdmittedInWindow
		mostOver = max(mostOver, a.OverAdmitted)
		out.Accuracy.Bound = tighterBound(out.Accuracy.Bound, a.Bound)
		out.Accuracy.KeysOverBound = max(out.Accuracy.KeysOverBound, a.KeysOverBound)
		out.Accuracy.LongRunAcceptedPerS += a.LongRunAcceptedPerS
		out.Accuracy.ConfiguredPerS = max(out.Accuracy.ConfiguredPerS, a.ConfiguredPerS)
		out.Accuracy.Keys = max(out.Accuracy.Keys, a.Keys)

		g := r.Generator
		out.Generator.Behind = out.Generator.Behind || g.Behind
		out.Generator.MaxLagUS = max(out.Generator.MaxLagUS, g.MaxLagUS)
		// The p99 of the union is at most the largest p99: at most 1 %
		// of each part lies above it.
		out.Generator.P99LagUS = max(out.Generator.P99LagUS, g.P99LagUS)
		// Likewise the median of the union is at most the largest median;
		// the mean is weighted by requests sent.
		out.Generator.P50LagUS = max(out.Generator.P50LagUS, g.P50LagUS)
		if n := out.Counts.Sent; n > 0 {
			out.Generator.MeanLagUS += (g.MeanLagUS - out.Generator.MeanLagUS) * float64(r.Counts.Sent) / float64(n)
		}

		out.ElapsedUS = max(out.ElapsedUS, r.ElapsedUS)
		out.EndReason = worseEnd(out.EndReason, r.EndReason)
		out.Generators += max(r.Generators, 1)
	}

	if acc, adm, err := mergeAdmissions(parts); err != nil {
		return Run{}, fmt.Errorf("%s: admissions: %w", name, err)
	} else if adm != nil {
		acc.LongRunAcceptedPerS = out.Accuracy.LongRunAcceptedPerS
		acc.ConfiguredPerS = out.Accuracy.ConfiguredPerS
		out.Accuracy, out.Admissions = acc, adm
	} else {
		// Files written before admissions were kept: only a bound.
		out.Accuracy.MaxAdmittedInWindow = sumMax
		if out.Accuracy.Bound >= 0 {
			out.Accuracy.OverAdmitted = max(sumMax-out.Accuracy.Bound, mostOver, 0)
		}
		if out.Accuracy.OverAdmitted > 0 {
			out.Accuracy.KeysOverBound = max(out.Accuracy.KeysOverBound, 1)
		}
		out.Accuracy.MaxAdmittedInWindowAtMost = out.Accuracy.MaxAdmittedInWindow
		out.Accuracy.OverAdmittedAtMost = out.Accuracy.OverAdmitted
		out.Accuracy.KeysMaybeOverBound = out.Accuracy.KeysOverBound
	}

	var err error
	if out.Latency.ResponseUS, out.Latency.Histogram, err = mergeHistograms(response); err != nil {
		return Run{}, fmt.Errorf("%s: latency.histogram: %w", name, err)
	}
	if out.Latency.ServiceUS, out.Latency.ServiceHistogram, err = mergeHistograms(service); err != nil {
		return Run{}, fmt.Errorf("%s: latency.service_histogram: %w", name, err)
	}
	out.Timeseries, out.StartedAt = mergeTimeseries(files, parts)
	return out, nil
}

// tighterBound is the smaller of two promised bounds, so that
// OverAdmitted stays an upper bound; -1 (no bound) only when neither
// promises one.
func tighterBound(a, b int64) int64 {
	switch {
	case a < 0:
		return b
	case b < 0:
		return a
	}
	return min(a, b)
}

// decodeHistogram decodes an encoded histogram; an empty one stands for
// no samples only in a run that sent nothing.
func decodeHistogram(encoded string, sent int64) (*hdrhistogram.Histogram, error) {
	if encoded == "" {
		if sent == 0 {
			return nil, nil
		}
		return nil, fmt.Errorf("%w: missing, in a run that sent %d %s", ErrBadHistogram, sent, Plural(sent, "request"))
	}
	h, err := hdrhistogram.Decode([]byte(encoded))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadHistogram, err)
	}
	return h, nil
}

// mergeHistograms adds histograms of nanoseconds into one that covers the
// range and precision of all, so no value is dropped or coarsened, and
// returns its percentiles in microseconds and its encoding. nil entries
// are runs that sent nothing.
func mergeHistograms(hs []*hdrhistogram.Histogram) (Percentiles, string, error) {
	var lowest, highest, digits int64 = math.MaxInt64, 0, 0
	for _, h := range hs {
		if h != nil {
			lowest = min(lowest, h.LowestTrackableValue())
			highest = max(highest, h.HighestTrackableValue())
			digits = max(digits, h.SignificantFigures())
		}
	}
	if highest == 0 {
		return Percentiles{}, "", nil
	}
	merged := hdrhistogram.New(lowest, highest, int(digits))
	for _, h := range hs {
		if h == nil {
			continue
		}
		if dropped := merged.Merge(h); dropped > 0 {
			return Percentiles{}, "", fmt.Errorf("%w: %d %s outside the merged histogram", ErrBadHistogram, dropped, Plural(dropped, "value"))
		}
	}
	encoded, err := merged.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return Percentiles{}, "", fmt.Errorf("encode merged histogram: %w", err)
	}
	return histogramPercentiles(merged), string(encoded), nil
}

// histogramPercentiles summarises a histogram of nanoseconds in
// microseconds, as rlbench run does when it writes a results file, so
// that merged and unmerged figures are alike.
func histogramPercentiles(h *hdrhistogram.Histogram) Percentiles {
	if h.TotalCount() == 0 {
		return Percentiles{}
	}
	us := func(ns int64) float64 { return float64(ns) / 1e3 }
	mean := h.Mean() / 1e3
	if math.IsNaN(mean) || math.IsInf(mean, 0) {
		mean = 0
	}
	return Percentiles{
		Mean: mean,
		P50:  us(h.ValueAtQuantile(50)),
		P90:  us(h.ValueAtQuantile(90)),
		P99:  us(h.ValueAtQuantile(99)),
		P999: us(h.ValueAtQuantile(99.9)),
		Max:  us(h.Max()),
	}
}

// runStart is when parts[i] began: its own StartedAt, or its file's for
// files written before runs recorded theirs.
func runStart(files []*File, parts []*Run, i int) time.Time {
	if !parts[i].StartedAt.IsZero() {
		return parts[i].StartedAt
	}
	return files[i].StartedAt
}

// mergeTimeseries adds the time series of parts on absolute time: a point
// of parts[i] at t_us lies at its run's start + t_us, and goes to the
// interval of the merged series, which starts at the earliest run start,
// that holds that instant. Intervals with nothing in them are kept, as the
// recorder keeps them, so that the series stays evenly spaced.
func mergeTimeseries(files []*File, parts []*Run) (Timeseries, time.Time) {
	start := runStart(files, parts, 0)
	for i := range parts {
		start = earliest(start, runStart(files, parts, i))
	}
	interval := parts[0].Timeseries.IntervalUS
	out := Timeseries{IntervalUS: interval}
	if interval <= 0 {
		return out, start
	}
	for i, r := range parts {
		shift := runStart(files, parts, i).Sub(start).Microseconds()
		for _, p := range r.Timeseries.Points {
			at := max(shift+p.TUS, 0)
			k := int(at / interval)
			for len(out.Points) <= k {
				out.Points = append(out.Points, Point{TUS: int64(len(out.Points)) * interval})
			}
			out.Points[k].Accepted += p.Accepted
			out.Points[k].Rejected += p.Rejected
			out.Points[k].Errors += p.Errors
			out.Points[k].Unknown += p.Unknown
		}
	}
	return out, start
}

// endRank orders end reasons from best to worst; an unknown one ranks
// with error, since nothing says it went well.
func endRank(reason string) int {
	switch reason {
	case "", EndCompleted:
		return 0
	case EndInterrupted:
		return 1
	}
	return 2
}

func worseEnd(a, b string) string {
	if endRank(b) > endRank(a) || a == "" {
		return b
	}
	return a
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// cloneFile is a deep copy of f, sharing nothing it could modify.
func cloneFile(f *File) *File {
	out := *f
	// Config's slices hold plain values; copying each slice, whichever
	// fields Config grows, is a deep copy.
	config := reflect.ValueOf(&out.Config).Elem()
	for i := range config.NumField() {
		if field := config.Field(i); field.Kind() == reflect.Slice && !field.IsNil() {
			c := reflect.MakeSlice(field.Type(), field.Len(), field.Len())
			reflect.Copy(c, field)
			field.Set(c)
		}
	}
	out.Runs = slices.Clone(f.Runs)
	for i := range out.Runs {
		r := &out.Runs[i]
		r.Counts.ErrorsByClass = maps.Clone(r.Counts.ErrorsByClass)
		r.Timeseries.Points = slices.Clone(r.Timeseries.Points)
		if r.RedisCost != nil {
			cost := *r.RedisCost
			cost.CommandsByName = maps.Clone(cost.CommandsByName)
			r.RedisCost = &cost
		}
	}
	return &out
}

// distinctGenerators refuses one generator's results given twice: the
// same generator id (in a merged file, any of those it lists), or, in
// files written before generators had one, the same start to the
// microsecond.
func distinctGenerators(files []*File) error {
	for i, a := range files {
		for j := i + 1; j < len(files); j++ {
			b := files[j]
			idsA, idsB := generatorIDs(a), generatorIDs(b)
			if k := slices.IndexFunc(idsA, func(id string) bool { return slices.Contains(idsB, id) }); k >= 0 {
				return fmt.Errorf("%w: files %d and %d both hold generator_id %s: one generator's results given twice, "+
					"or two generators given the same --generator-id",
					ErrMergeMismatch, i+1, j+1, idsA[k])
			}
			if (idsA == nil || idsB == nil) && a.StartedAt.Equal(b.StartedAt) {
				return fmt.Errorf("%w: files %d and %d started at the same instant (%s): the same file given twice?",
					ErrMergeMismatch, i+1, j+1, a.StartedAt.Format(time.RFC3339Nano))
			}
		}
	}
	return nil
}

// generatorIDs are the generators whose results f holds: those a merged
// file lists, or its own; nil for a file from before generators had one.
func generatorIDs(f *File) []string {
	switch {
	case len(f.GeneratorIDs) > 0:
		return f.GeneratorIDs
	case f.GeneratorID != "":
		return []string{f.GeneratorID}
	}
	return nil
}

// overlapping refuses files whose runs did not share some instant: the
// load of generators that never ran together is not one load.
func overlapping(files []*File) error {
	latestStart, earliestEnd := 0, -1
	for i, f := range files {
		if f.EndedAt.IsZero() {
			return nil // an old or damaged file: nothing to check against
		}
		if f.StartedAt.After(files[latestStart].StartedAt) {
			latestStart = i
		}
		if earliestEnd < 0 || f.EndedAt.Before(files[earliestEnd].EndedAt) {
			earliestEnd = i
		}
	}
	if files[latestStart].StartedAt.After(files[earliestEnd].EndedAt) {
		return fmt.Errorf("%w: file %d ended at %s, before file %d started at %s: generators that did not run at the same time are not one load",
			ErrMergeMismatch, earliestEnd+1, files[earliestEnd].EndedAt.Format(time.RFC3339), latestStart+1, files[latestStart].StartedAt.Format(time.RFC3339))
	}
	return nil
}

// mergeAdmissions merges the kept admissions of parts key by key and
// computes the accuracy of the combined load from them: exactly when
// every part kept all of its admissions. When one did not, the figures
// from the kept instants (and from each part alone) are lower bounds, and
// the AtMost figures add up the parts' own. A nil Admissions means a part
// kept none (a file from before they were kept).
func mergeAdmissions(parts []*Run) (Accuracy, *Admissions, error) {
	for _, r := range parts {
		if r.Admissions == nil {
			return Accuracy{}, nil, nil
		}
	}
	type merged struct {
		bounds   KeyAdmissions
		instants []int64
		unknown  []Span
		// lower and upper bound the key's figures when some part did not
		// keep every admission.
		lower, upper KeyAccuracy
	}
	keys := map[string]*merged{}
	complete := true
	for i, r := range parts {
		complete = complete && r.Admissions.Complete
		for _, k := range r.Admissions.Keys {
			instants, err := DecodeInstants(k.Instants)
			if err != nil {
				return Accuracy{}, nil, fmt.Errorf("file %d, key %s: instants: %w", i+1, k.Key, err)
			}
			unknown, err := DecodeSpans(k.Unknown)
			if err != nil {
				return Accuracy{}, nil, fmt.Errorf("file %d, key %s: unknown: %w", i+1, k.Key, err)
			}
			m := keys[k.Key]
			if m == nil {
				m = &merged{bounds: k}
				keys[k.Key] = m
			} else if m.bounds.WindowUS != k.WindowUS || m.bounds.Bound != k.Bound || m.bounds.AlignedBound != k.AlignedBound {
				return Accuracy{}, nil, fmt.Errorf("%w: key %s is held to other bounds in file %d", ErrMergeMismatch, k.Key, i+1)
			}
			m.instants = append(m.instants, instants...)
			m.unknown = append(m.unknown, unknown...)
			f := k.Figures
			m.lower.MaxAdmittedInWindow = max(m.lower.MaxAdmittedInWindow, f.MaxAdmittedInWindow)
			m.lower.MaxAdmittedInBurst = max(m.lower.MaxAdmittedInBurst, f.MaxAdmittedInBurst)
			m.lower.MaxAdmittedInAlignedWindow = max(m.lower.MaxAdmittedInAlignedWindow, f.MaxAdmittedInAlignedWindow)
			m.upper.Admitted += f.Admitted
			m.upper.Unknown += f.Unknown
			m.upper.MaxAdmittedInWindowAtMost += f.MaxAdmittedInWindowAtMost
			m.upper.MaxAdmittedInBurstAtMost += f.MaxAdmittedInBurstAtMost
			m.upper.MaxAdmittedInAlignedWindowAtMost += f.MaxAdmittedInAlignedWindowAtMost
		}
	}
	names := slices.Sorted(maps.Keys(keys))
	out := &Admissions{Complete: complete}
	figures := make([]KeyAccuracy, 0, len(names))
	kept := 0
	for _, name := range names {
		m := keys[name]
		slices.Sort(m.instants)
		slices.SortFunc(m.unknown, func(a, b Span) int { return cmpSpan(a, b) })
		k := KeyFigures(m.bounds, m.instants, m.unknown)
		if !complete {
			k.Admitted, k.Unknown = max(k.Admitted, m.upper.Admitted), max(k.Unknown, m.upper.Unknown)
			k.MaxAdmittedInWindow = max(k.MaxAdmittedInWindow, m.lower.MaxAdmittedInWindow)
			k.MaxAdmittedInBurst = max(k.MaxAdmittedInBurst, m.lower.MaxAdmittedInBurst)
			k.MaxAdmittedInAlignedWindow = max(k.MaxAdmittedInAlignedWindow, m.lower.MaxAdmittedInAlignedWindow)
			k.MaxAdmittedInWindowAtMost = max(k.MaxAdmittedInWindow, m.upper.MaxAdmittedInWindowAtMost)
			k.MaxAdmittedInBurstAtMost = max(k.MaxAdmittedInBurst, m.upper.MaxAdmittedInBurstAtMost)
			k.MaxAdmittedInAlignedWindowAtMost = max(k.MaxAdmittedInAlignedWindow, m.upper.MaxAdmittedInAlignedWindowAtMost)
			k.SetOver()
		}
		figures = append(figures, k)
		// Keep what a later merge needs, within the same budget.
		ka := m.bounds
		ka.Figures = k
		if kept+len(m.instants) <= MaxKeptAdmissions {
			ka.Instants, ka.Unknown = EncodeInstants(m.instants), EncodeSpans(m.unknown)
			kept += len(m.instants)
		} else {
			ka.Instants, ka.Unknown = "", ""
			out.Complete = false
		}
		out.Keys = append(out.Keys, ka)
	}
	return Summarise(figures), out, nil
}

func cmpSpan(a, b Span) int {
	if a.From != b.From {
		return cmpInt(a.From, b.From)
	}
	return cmpInt(a.To, b.To)
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// mergeSaid adds what one generator's target said to the others': counts
// add; the first declared quota stands, and another counts as a change.
func mergeSaid(into, s *Said) *Said {
	if s == nil {
		return into
	}
	if into == nil {
		c := *s
		return &c
	}
	into.Rejected += s.Rejected
	into.RejectedWithoutRetry += s.RejectedWithoutRetry
	into.RetriedRejected += s.RetriedRejected
	into.QuotaChanges += s.QuotaChanges
	into.RemainingChecked += s.RemainingChecked
	into.RemainingRose += s.RemainingRose
	into.RemainingDisagreed += s.RemainingDisagreed
	switch {
	case into.DeclaredQuota == 0:
		into.DeclaredQuota, into.DeclaredWindowUS = s.DeclaredQuota, s.DeclaredWindowUS
	case s.DeclaredQuota != 0 && (s.DeclaredQuota != into.DeclaredQuota || s.DeclaredWindowUS != into.DeclaredWindowUS):
		into.QuotaChanges++
	}
	return into
}

// costNotMerged is why a merged run has no Redis cost.
const costNotMerged = "not merged: each generator measured the whole shared server, other generators' decisions included, so their figures cannot be added"

// mergeCostUnavailable says why the merged run has no Redis cost, given
// why it had none so far and one more generator's run r.
func mergeCostUnavailable(why string, r *Run) string {
	switch {
	case r.RedisCost != nil || why == costNotMerged:
		return costNotMerged
	case why == "":
		return r.RedisCostUnavailable
	}
	return why
}
