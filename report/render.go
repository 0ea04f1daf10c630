package report

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// column is one column of the table, markdown and html renderers, made
// from an InTable Metric by runColumns: its header, its alignment (text
// left, numbers right), and how a Run fills it.
type column struct {
	header string
	align  tw.Align
	cell   func(r *Run) string
}

// interval shows a figure that unknown outcomes leave uncertain as
// "lo–hi", so that a run with unknowns never reads as a certain 0 over.
func interval(lo, hi int64) string {
	if hi <= lo {
		return integer(lo)
	}
	return integer(lo) + "–" + integer(hi)
}

func integer(n int64) string { return strconv.FormatInt(n, 10) }

// writeRuns writes one row per run with tablewriter, in its default box
// style or as a GitHub Markdown table.
func writeRuns(w io.Writer, runs []Run, markdown bool) error {
	cols := runColumns(runs)
	headers := make([]string, len(cols))
	aligns := make([]tw.Align, len(cols))
	for i, c := range cols {
		headers[i], aligns[i] = c.header, c.align
	}
	opts := []tablewriter.Option{
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignmentConfig(tw.CellAlignment{PerColumn: aligns}),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: aligns}),
	}
	if markdown {
		opts = append(opts, tablewriter.WithRenderer(renderer.NewMarkdown()))
	}
	t := tablewriter.NewTable(w, opts...)
	t.Header(headers)
	for i := range runs {
		row := make([]string, len(cols))
		for j, c := range cols {
			row[j] = c.cell(&runs[i])
			if markdown {
				// The markdown renderer leaves a pipe in a cell as it is,
				// which would end the cell.
				row[j] = strings.ReplaceAll(row[j], "|", `\|`)
			}
		}
		if err := t.Append(row); err != nil {
			return err
		}
	}
	return t.Render()
}

// runColumns are the columns for runs: the InTable metrics, the limit
// among them only when runs differ in it (a sweep) and the repetition
// only when runs were repeated.
func runColumns(runs []Run) []column {
	var cols []column
	for _, m := range MetricsIn(InTable) {
		if m.tableIf != nil && !m.tableIf(runs) {
			continue
		}
		align := tw.AlignRight
		if m.text != nil {
			align = tw.AlignLeft
		}
		cols = append(cols, column{m.Header, align, m.tableCell})
	}
	return cols
}

// limits are the distinct limits of runs, in the order they ran.
func limits(runs []Run) []Limit {
	var out []Limit
	for _, r := range runs {
		if !slices.Contains(out, r.Limit) {
			out = append(out, r.Limit)
		}
	}
	return out
}

// Plural is noun as a count of n needs it: "key" for 1, "keys" for any
// other count, so that fmt.Sprintf("%d %s", n, Plural(n, "key")) reads
// "1 key" and "0 keys". Every noun rlbench counts takes a plain s.
func Plural[N int | int64](n N, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}

// summary is one line saying what ran against what, so that a table
// pasted somewhere still says where its figures came from: each workload
// with what shaped its traffic, the limit or limits the runs had (the
// tiers' instead when keys have their own), and the keys.
func summary(f *File) string {
	c := f.Config
	var parts []string
	if t := target(f.Target); t != "" {
		parts = append(parts, "target "+t)
	}
	if names := c.workloadNames(); len(names) == 1 {
		parts = append(parts, "workload "+c.Shape(names[0]))
	} else if len(names) > 1 {
		shapes := make([]string, len(names))
		for i, name := range names {
			shapes[i] = c.Shape(name)
		}
		parts = append(parts, "workloads "+strings.Join(shapes, "; "))
	}
	if len(c.Tiers) > 0 {
		tiers := make([]string, len(c.Tiers))
		for i, t := range c.Tiers {
			tiers[i] = fmt.Sprintf("%s %s (%s%%)", t.Name, limit(t.Limit), number(t.Share*100))
		}
		parts = append(parts, "tiers "+strings.Join(tiers, ", "))
	} else if ls := limits(f.Runs); len(ls) > 1 {
		written := make([]string, len(ls))
		for i, l := range ls {
			written[i] = limit(l)
		}
		parts = append(parts, "limits "+strings.Join(written, ", "))
	} else if len(ls) == 1 {
		parts = append(parts, "limit "+limit(ls[0]))
	} else if c.Limit.Requests > 0 {
		parts = append(parts, "limit "+limit(c.Limit))
	}
	if c.Keys > 0 {
		keys := fmt.Sprintf("%d %s", c.Keys, Plural(c.Keys, "key"))
		if c.Keys > 1 && c.KeyDist != "" {
			keys += " " + c.KeyDist
		}
		if c.Keys > 1 && c.KeyDist == "zipf" && c.ZipfS > 0 {
			keys += " s=" + number(c.ZipfS)
		}
		parts = append(parts, keys)
	}
	if c.Clock != "" {
		parts = append(parts, "clock "+c.Clock)
	}
	// The default client, go-redis, goes unsaid.
	if clients := strings.Split(c.Client, ","); c.Client != "" && c.Client != Clients[0] {
		parts = append(parts, Plural(len(clients), "client")+" "+strings.Join(clients, ", "))
	}
	if c.Oracle != "" {
		parts = append(parts, "oracle "+c.Oracle)
	}
	parts = append(parts, "seed "+strconv.FormatUint(c.Seed, 10))
	// Generators show when named, or when a merge combined several.
	if len(f.GeneratorIDs) > 0 {
		parts = append(parts, Plural(len(f.GeneratorIDs), "generator")+" "+strings.Join(f.GeneratorIDs, ", "))
	} else if c.GeneratorID != "" {
		parts = append(parts, "generator "+c.GeneratorID)
	}
	if !c.StartAt.IsZero() {
		parts = append(parts, "start-at "+c.StartAt.Format(time.RFC3339Nano))
	}
	switch f.EndReason {
	case EndInterrupted:
		parts = append(parts, "PARTIAL: interrupted")
	case EndError:
		end := "ended by an error"
		if f.Error != "" {
			end += ": " + f.Error
		}
		parts = append(parts, end)
	case "":
	default:
		parts = append(parts, f.EndReason+endedBy(f.Runs))
	}
	return strings.Join(parts, " · ")
}

// workloadNames are the workloads c ran: a bench's list, or the one of run.
func (c Config) workloadNames() []string {
	if len(c.Workloads) > 0 {
		return c.Workloads
	}
	if c.Workload == "" {
		return nil
	}
	return strings.Split(c.Workload, ",")
}

// endedBy is " (requests cap)" when every run ended the same way, or ""
// (runs that ended differently are in the notes).
func endedBy(runs []Run) string {
	by := ""
	for i, r := range runs {
		if i > 0 && r.EndedBy != by {
			return ""
		}
		by = r.EndedBy
	}
	switch by {
	case "requests", "duration":
		return " (" + by + " cap)"
	case "schedule":
		return " (end of schedule)"
	}
	return ""
}

// target is "redis 7.0.15 at 127.0.0.1:6379", leaving out what is unknown.
func target(t Target) string {
	s := t.Kind
	if t.ServerVersion != "" {
		s = strings.TrimSpace(s + " " + t.ServerVersion)
	}
	if t.Address != "" {
		s = strings.TrimSpace(s + " at " + t.Address)
	}
	if st := t.Sentinel; st != nil {
		s += fmt.Sprintf(" (master %s, %d %s, %d %s)", st.MasterName,
			len(st.Replicas), Plural(len(st.Replicas), "replica"), len(st.Sentinels), Plural(len(st.Sentinels), "sentinel"))
	}
	return s
}

// Shape describes the named workload as c shaped it, with the settings
// that workload uses and no others: "closed, 10 workers", "steady at
// 2000/s", "ramp from 10/s to 500/s over 30s", "bursty, bursts of 100 every
// 50ms", "window-edge, bursts of 100 5ms before and after each 1s
// boundary". Settings a results file does not hold are left out.
func (c Config) Shape(name string) string {
	s := name
	at := func(rate float64) string { return " at " + number(rate) + "/s" }
	switch name {
	case "closed":
		if c.Concurrency > 0 {
			s += fmt.Sprintf(", %d %s", c.Concurrency, Plural(c.Concurrency, "worker"))
		}
		if c.Pipeline > 1 {
			s += fmt.Sprintf(", pipeline %d", c.Pipeline)
		}
	case "steady", "poisson":
		if c.Rate > 0 {
			s += at(c.Rate)
		}
	case "ramp":
		if c.Rate > 0 {
			s += fmt.Sprintf(" from %s/s to %s/s", number(c.RateStart), number(c.Rate))
			if c.DurationUS > 0 {
				s += " over " + window(c.DurationUS)
			}
		}
	case "bursty":
		if c.BurstSize > 0 {
			s += ", " + bursts(c.BurstSize)
			if c.BurstEveryUS > 0 {
				s += " every " + window(c.BurstEveryUS)
			}
		}
		if c.BaseRate > 0 {
			s += " on top of " + number(c.BaseRate) + "/s"
		}
	case "window-edge":
		if c.BurstSize > 0 {
			s += ", " + bursts(c.BurstSize)
			if c.EdgeOffsetUS > 0 && c.Limit.WindowUS > 0 {
				s += fmt.Sprintf(" %s before and after each %s boundary", window(c.EdgeOffsetUS), window(c.Limit.WindowUS))
			}
		}
	}
	return s
}

// bursts is "bursts of 100", or "bursts of 1 request".
func bursts(size int64) string {
	if size == 1 {
		return "bursts of 1 request"
	}
	return "bursts of " + integer(size)
}

// String is the limit as the command line writes it: "100/1s", with the
// burst when it differs from the requests ("100/1s burst 150").
func (l Limit) String() string { return limit(l) }

// limit is "100/1s", with the burst when it differs from the requests.
func limit(l Limit) string {
	s := fmt.Sprintf("%d/%s", l.Requests, window(l.WindowUS))
	if l.Burst != 0 && l.Burst != l.Requests {
		s += fmt.Sprintf(" burst %d", l.Burst)
	}
	return s
}

// window writes microseconds in the largest whole unit, as a limit is
// written on the command line ("10m", not time.Duration's "10m0s").
func window(us int64) string {
	units := []struct {
		us   int64
		name string
	}{
		{int64(time.Hour / time.Microsecond), "h"},
		{int64(time.Minute / time.Microsecond), "m"},
		{int64(time.Second / time.Microsecond), "s"},
		{int64(time.Millisecond / time.Microsecond), "ms"},
	}
	for _, u := range units {
		if us != 0 && us%u.us == 0 {
			return strconv.FormatInt(us/u.us, 10) + u.name
		}
	}
	return strconv.FormatInt(us, 10) + "µs"
}

// number writes a float as briefly as it can be read back exactly.
func number(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// notes are the lines below the table that a reader must not miss: runs
// that did not finish, a generator that fell behind (its response times
// then include its own lag), latencies the histogram could not hold, and
// errors by class.
func notes(f *File) []string {
	var out []string
	if p := f.Config.Pipeline; p > 1 {
		out = append(out, fmt.Sprintf("latency per batch of %d: each closed-model worker sent %d requests in one round trip (--pipeline %d); "+
			"every latency figure of those runs is one batch's round trip, not one decision's", p, p, p))
	}
	for _, r := range f.Runs {
		if r.EndReason != "" && r.EndReason != EndCompleted {
			out = append(out, fmt.Sprintf("partial: %s/%s: %s after %s; its figures cover only what ran",
				r.Algorithm, r.Workload, r.EndReason, time.Duration(r.ElapsedUS)*time.Microsecond))
		}
	}
	if len(f.Runs) > 1 && endedBy(f.Runs) == "" {
		for _, r := range f.Runs {
			if r.EndedBy != "" && r.EndedBy != "interrupted" {
				out = append(out, fmt.Sprintf("ended: %s/%s by its %s after %d %s",
					r.Algorithm, r.Workload, r.EndedBy, r.Counts.Sent, Plural(r.Counts.Sent, "request")))
			}
		}
	}
	for _, r := range f.Runs {
		if g := r.Generator; g.Behind {
			out = append(out, fmt.Sprintf("warning: %s/%s: the generator fell behind its schedule: "+
				"%d %s sent more than %sms late (max lag %.1f ms); response times include that lag",
				r.Algorithm, r.Workload, r.Counts.Missed, Plural(r.Counts.Missed, "request"), number(float64(g.MissAfterUS)/1e3), g.MaxLagUS/1e3))
		}
	}
	for _, r := range f.Runs {
		if a := r.Accuracy; a.BurstBound >= 0 && a.BurstSpanUS > 0 && a.MaxAdmittedInBurst > a.BurstBound {
			out = append(out, fmt.Sprintf("over: %s/%s: %d admitted within %s, above its bound of %d for a span that short",
				r.Algorithm, r.Workload, a.MaxAdmittedInBurst, time.Duration(a.BurstSpanUS)*time.Microsecond, a.BurstBound))
		}
	}
	for _, r := range f.Runs {
		if a := r.Accuracy; a.Keys > 1 && a.WorstKey != "" && a.Bound >= 0 {
			tier := ""
			if a.WorstTier != "" {
				tier = " (" + a.WorstTier + ")"
			}
			out = append(out, fmt.Sprintf("keys: %s/%s: %d of %d keys over their bound; worst key %s%s: %s in a window against a bound of %d",
				r.Algorithm, r.Workload, a.KeysOverBound, a.Keys, a.WorstKey, tier,
				interval(a.MaxAdmittedInWindow, a.MaxAdmittedInWindowAtMost), a.Bound))
		}
	}
	for _, r := range f.Runs {
		if n := r.Latency.OverRange; n > 0 {
			out = append(out, fmt.Sprintf("warning: %s/%s: %d %s beyond the histogram's range, "+
				"recorded as its highest value", r.Algorithm, r.Workload, n, Plural(n, "response time")))
		}
	}
	for _, r := range f.Runs {
		if r.Counts.Errors > 0 {
			out = append(out, fmt.Sprintf("errors: %s/%s: %s", r.Algorithm, r.Workload, errorClasses(r.Counts)))
		}
	}
	for _, r := range f.Runs {
		if c := r.Counts; c.Waited > 0 {
			out = append(out, fmt.Sprintf("polite: %s/%s: %d %s waited for Retry-After, %s in all; %d of %d sent admitted",
				r.Algorithm, r.Workload, c.Waited, Plural(c.Waited, "request"), time.Duration(c.WaitedUS)*time.Microsecond, c.Accepted, c.Sent))
		}
	}
	out = append(out, costNotes(f.Runs)...)
	for _, r := range f.Runs {
		if n := oracleNote(&r); n != "" {
			out = append(out, fmt.Sprintf("oracle: %s/%s: %s", r.Algorithm, r.Workload, n))
		}
	}
	for _, r := range f.Runs {
		if parts := saidNotes(&r); len(parts) > 0 {
			out = append(out, fmt.Sprintf("said: %s/%s: %s", r.Algorithm, r.Workload, strings.Join(parts, "; ")))
		}
	}
	for _, r := range f.Runs {
		for _, e := range r.Events {
			out = append(out, fmt.Sprintf("fault: %s/%s: %s", r.Algorithm, r.Workload, eventNote(e)))
		}
	}
	return append(out, clusterNotes(f)...)
}

// eventNote is one fault and what followed it: "restart at 2s (restarted
// 127.0.0.1:4242 empty (pid 1, now 2), took 3ms): 40 accepted, 12
// rejected, 3 errors (3 connection), 0 unknown; failing for 2.1ms".
func eventNote(e Event) string {
	at := time.Duration(e.AtUS) * time.Microsecond
	if e.Error != "" && e.TookUS == 0 {
		return fmt.Sprintf("%s at %s not injected: %s", e.Kind, at, e.Error)
	}
	if e.Error != "" {
		// Begun but not completed: what followed still counts.
		e.Detail = "failed after it began: " + e.Error
	}
	failed := errorClasses(Counts{Errors: e.Errors + e.Unknown, ErrorsByClass: e.ByClass})
	if e.Errors+e.Unknown == 0 {
		failed = "none"
	}
	after := "no failures"
	switch {
	case e.Errors+e.Unknown == 0:
	case e.Recovered:
		after = "failing for " + (time.Duration(e.OutageUS) * time.Microsecond).String()
	default:
		after = "still failing when the run ended"
	}
	return fmt.Sprintf("%s at %s (%s, took %s): %d accepted, %d rejected, %d %s and %d unknown (%s); %s",
		e.Kind, at, e.Detail, time.Duration(e.TookUS)*time.Microsecond, e.Accepted, e.Rejected,
		e.Errors, Plural(e.Errors, "error"), e.Unknown, failed, after)
}

// errorClassOrder is the order of ARCHITECTURE.md; other classes follow by name.
var errorClassOrder = []string{"timeout", "connection", "script", "other"}

// errorClasses is "12 timeout, 3 connection", or the bare count when the
// run recorded no classes.
func errorClasses(c Counts) string {
	if len(c.ErrorsByClass) == 0 {
		return integer(c.Errors) + " unclassified"
	}
	classes := make([]string, 0, len(c.ErrorsByClass))
	for class := range c.ErrorsByClass {
		classes = append(classes, class)
	}
	rank := func(class string) int {
		if i := slices.Index(errorClassOrder, class); i >= 0 {
			return i
		}
		return len(errorClassOrder)
	}
	slices.SortFunc(classes, func(a, b string) int {
		if d := rank(a) - rank(b); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(classes))
	for i, class := range classes {
		parts[i] = fmt.Sprintf("%d %s", c.ErrorsByClass[class], class)
	}
	return strings.Join(parts, ", ")
}

// saidNotes checks what an HTTP target said against what it did: the
// rejections that gave a client no time to come back, remaining that rose
// or that its decisions contradicted, and a declared quota that is not
// what it enforced.
func saidNotes(r *Run) []string {
	s := r.Said
	if s == nil {
		return nil
	}
	var parts []string
	if s.RejectedWithoutRetry > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d %s gave no Retry-After or reset",
			s.RejectedWithoutRetry, s.Rejected, Plural(s.Rejected, "rejection")))
	}
	if s.RetriedRejected > 0 {
		parts = append(parts, fmt.Sprintf("%d %s rejected again at the time a Retry-After gave",
			s.RetriedRejected, Plural(s.RetriedRejected, "request")))
	}
	if s.RemainingRose > 0 {
		parts = append(parts, fmt.Sprintf("remaining rose with no reset to explain it in %d of %d %s checked",
			s.RemainingRose, s.RemainingChecked, Plural(s.RemainingChecked, "answer")))
	}
	if s.RemainingDisagreed > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d %s checked contradicted the remaining before them",
			s.RemainingDisagreed, s.RemainingChecked, Plural(s.RemainingChecked, "answer")))
	}
	if s.DeclaredQuota > 0 {
		declared := fmt.Sprintf("declared a quota of %d", s.DeclaredQuota)
		if s.DeclaredWindowUS > 0 {
			declared += " per " + window(s.DeclaredWindowUS)
		}
		// A fixed window's quota holds per aligned window: across a
		// boundary it may rightly admit twice as many in one window's span.
		admitted := r.Accuracy.MaxAdmittedInWindow
		if r.Accuracy.AlignedBound >= 0 {
			admitted = r.Accuracy.MaxAdmittedInAlignedWindow
		}
		if s.DeclaredWindowUS == r.Limit.WindowUS && admitted > s.DeclaredQuota {
			declared += fmt.Sprintf(" but admitted %d in one", admitted)
		}
		if s.QuotaChanges > 0 {
			declared += fmt.Sprintf(", and another in %d %s", s.QuotaChanges, Plural(s.QuotaChanges, "answer"))
		}
		parts = append(parts, declared)
	}
	return parts
}

// costNotes say why the Redis cost columns read n/a (once per reason) and
// which runs left keys that never expire or outlive their state.
func costNotes(runs []Run) []string {
	var out, reasons []string
	for _, r := range runs {
		if why := r.RedisCostUnavailable; why != "" && !slices.Contains(reasons, why) {
			reasons = append(reasons, why)
			out = append(out, "redis cost: n/a: "+why)
		}
	}
	for _, r := range runs {
		c := r.RedisCost
		if c == nil || c.KeysWithoutTTL+c.KeysPastTTL == 0 {
			continue
		}
		var parts []string
		if c.KeysWithoutTTL > 0 {
			parts = append(parts, fmt.Sprintf("no TTL on %d of %d %s: they never expire", c.KeysWithoutTTL, c.Keys, Plural(c.Keys, "key")))
		}
		if c.KeysPastTTL > 0 {
			parts = append(parts, fmt.Sprintf("a TTL longer than the %s the algorithm sets on %d of %d %s: they outlive their state",
				time.Duration(c.LongestTTLUS)*time.Microsecond, c.KeysPastTTL, c.Keys, Plural(c.Keys, "key")))
		}
		out = append(out, fmt.Sprintf("ttl: %s/%s: %s", r.Algorithm, r.Workload, strings.Join(parts, "; ")))
	}
	return out
}
