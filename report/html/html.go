// Package html renders results files as one self-contained HTML page with
// charts; it is the only importer of gonum.org/v1/plot.
package html

import (
	"bytes"
	"cmp"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"image/color"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/rlbench/rlbench/report"
)

//go:embed templates/html.tmpl
var htmlPageText string

var htmlPage = template.Must(template.New("html").Parse(htmlPageText))

// Format is the page as a results format: every file given on one page.
var Format = report.Format{
	Name:        "html",
	Description: "one self-contained page with charts of all files; bench -o writes it as report.html",
	Render:      Render,
}

// Render writes one or more results files as a single self-contained
// HTML page: for each file what ran, the summary table and its notes, and
// charts of latency by percentile, accuracy against the bound, accepted
// and rejected over time, and latency against the limit for a sweep. The
// page needs nothing online: its CSS is inline and its charts are inline
// SVG drawn with gonum.org/v1/plot. It depends only on the files, never on
// when it was rendered, so the same files give the same bytes.
func Render(w io.Writer, files ...*report.File) error {
	if len(files) == 0 {
		return errors.New("render html: no results")
	}
	page := htmlReport{Title: "rlbench report", Schema: report.SchemaVersion}
	var tools []string
	for i, f := range files {
		if f == nil {
			return fmt.Errorf("render html: results %d of %d: no results", i+1, len(files))
		}
		res, err := htmlResultsOf(f)
		if err != nil {
			if len(files) > 1 {
				return fmt.Errorf("render html: results %d of %d: %w", i+1, len(files), err)
			}
			return fmt.Errorf("render html: %w", err)
		}
		if len(files) > 1 {
			res.Heading = fmt.Sprintf("Results %d of %d", i+1, len(files))
		}
		if f.EndReason == report.EndInterrupted || f.EndReason == report.EndError {
			page.Partial = true
		}
		if t := toolName(f.Tool); !slices.Contains(tools, t) {
			tools = append(tools, t)
		}
		page.Results = append(page.Results, res)
	}
	if page.Partial {
		page.Title += " (PARTIAL)"
	}
	page.Tool = strings.Join(tools, ", ")
	// Render whole before writing, so that an error leaves no half page.
	var buf bytes.Buffer
	if err := htmlPage.Execute(&buf, page); err != nil {
		return fmt.Errorf("render html: %w", err)
	}
	_, err := buf.WriteTo(w)
	return err
}

// htmlReport is what the page template fills in.
type htmlReport struct {
	Title   string
	Partial bool
	Results []htmlResults
	Tool    string
	Schema  int
}

// htmlResults is one results file on the page.
type htmlResults struct {
	Heading   string
	Summary   string
	Alert     string
	Facts     []htmlFact
	Header    []report.Cell
	Rows      []htmlRow
	Notes     []string
	ChartNote string
	Sections  []htmlSection
}

type htmlFact struct{ Term, Value string }

type htmlRow struct {
	Cells   []report.Cell
	Partial bool
}

// htmlSection is a heading over a grid of charts; Small charts sit more
// to a row.
type htmlSection struct {
	Title   string
	Caption string
	Small   bool
	Charts  []htmlChart
}

type htmlChart struct {
	SVG     template.HTML
	Caption string
}

func toolName(t report.Tool) string {
	name := t.Name
	if name == "" {
		name = "rlbench"
	}
	return strings.TrimSpace(name + " " + t.Version)
}

// htmlResultsOf lays out one file: header, table, notes and charts.
func htmlResultsOf(f *report.File) (htmlResults, error) {
	res := htmlResults{
		Summary: report.Summary(f),
		Facts:   facts(f),
		Notes:   report.Notes(f),
	}
	switch f.EndReason {
	case report.EndInterrupted:
		res.Alert = "PARTIAL RESULTS: this run was interrupted; its figures cover only what ran before it stopped."
	case report.EndError:
		res.Alert = "PARTIAL RESULTS: this run was ended by an error"
		if f.Error != "" {
			res.Alert += ": " + f.Error
		}
	}
	res.Header, res.Rows = htmlTable(f)

	runs := chartRuns(f)
	if len(runs) < len(f.Runs) {
		res.ChartNote = "Runs were repeated (--count): the table lists every repetition; " +
			"the charts show the first repetition (repeat 0) of each run only."
	}
	sections, err := chartSections(runs)
	if err != nil {
		return res, err
	}
	res.Sections = sections
	return res, nil
}

// facts are what summary leaves out: when, how long, what ran, on what.
func facts(f *report.File) []htmlFact {
	var out []htmlFact
	add := func(term, value string) {
		if value != "" {
			out = append(out, htmlFact{term, value})
		}
	}
	end := f.EndReason
	switch end {
	case report.EndInterrupted:
		end = "PARTIAL: interrupted"
	case report.EndError:
		end = "PARTIAL: ended by an error"
		if f.Error != "" {
			end += ": " + f.Error
		}
	}
	add("End", end)
	if !f.StartedAt.IsZero() {
		add("Started", f.StartedAt.Format(time.RFC3339))
	}
	if !f.EndedAt.IsZero() {
		ended := f.EndedAt.Format(time.RFC3339)
		if !f.StartedAt.IsZero() {
			ended += " (" + f.EndedAt.Sub(f.StartedAt).Round(time.Millisecond).String() + ")"
		}
		add("Ended", ended)
	}
	var algorithms, workloads, limits []string
	repeats := 0
	for _, r := range f.Runs {
		if !slices.Contains(algorithms, r.Algorithm) {
			algorithms = append(algorithms, r.Algorithm)
		}
		if !slices.Contains(workloads, r.Workload) {
			workloads = append(workloads, r.Workload)
		}
		if l := r.Limit.String(); !slices.Contains(limits, l) {
			limits = append(limits, l)
		}
		repeats = max(repeats, r.Repeat+1)
	}
	add("Algorithms", strings.Join(algorithms, ", "))
	add("Workloads", strings.Join(workloads, ", "))
	if len(limits) > 1 {
		add("Limits (sweep)", strings.Join(limits, ", "))
	}
	if repeats > 1 {
		add("Repetitions", strconv.Itoa(repeats)+" of each run")
	}
	var stop []string
	if f.Config.Requests > 0 {
		stop = append(stop, strconv.FormatInt(f.Config.Requests, 10)+" "+report.Plural(f.Config.Requests, "request"))
	}
	if f.Config.DurationUS > 0 {
		stop = append(stop, report.Duration(f.Config.DurationUS))
	}
	add("Each run stops after", strings.Join(stop, " or "))
	if h := f.Host; h.OS != "" {
		add("Host", fmt.Sprintf("%s/%s, %d %s", h.OS, h.Arch, h.CPUs, report.Plural(h.CPUs, "CPU")))
	}
	tool := toolName(f.Tool)
	if !strings.Contains(tool, f.Tool.Go) {
		tool += " " + f.Tool.Go
	}
	add("Tool", tool)
	return out
}

// htmlTable has the columns of the text table, the limit and repetition
// among them when runs differ in those.
func htmlTable(f *report.File) ([]report.Cell, []htmlRow) {
	header, cells := report.RunsTable(f.Runs)
	rows := make([]htmlRow, len(f.Runs))
	for i, r := range f.Runs {
		rows[i] = htmlRow{Cells: cells[i], Partial: r.EndReason != "" && r.EndReason != report.EndCompleted}
	}
	return header, rows
}

// chartRuns are the runs the charts draw: the first repetition of each.
func chartRuns(f *report.File) []*report.Run {
	var out []*report.Run
	for i := range f.Runs {
		if f.Runs[i].Repeat == 0 {
			out = append(out, &f.Runs[i])
		}
	}
	return out
}

// runGroup is the runs of one workload under one limit, the unit that
// latency and accuracy are compared in.
type runGroup struct {
	workload string
	limit    report.Limit
	runs     []*report.Run
}

func (g runGroup) String() string { return g.workload + " · limit " + g.limit.String() }

// groupRuns groups runs by workload and limit, in the order they ran.
func groupRuns(runs []*report.Run) []runGroup {
	var groups []runGroup
	for _, r := range runs {
		i := slices.IndexFunc(groups, func(g runGroup) bool { return g.workload == r.Workload && g.limit == r.Limit })
		if i < 0 {
			groups = append(groups, runGroup{workload: r.Workload, limit: r.Limit})
			i = len(groups) - 1
		}
		groups[i].runs = append(groups[i].runs, r)
	}
	return groups
}

// chartSections draws every chart of one file.
func chartSections(runs []*report.Run) ([]htmlSection, error) {
	if len(runs) == 0 {
		return nil, nil
	}
	colors := algorithmColors(runs)
	groups := groupRuns(runs)
	var sections []htmlSection

	latency := htmlSection{
		Title: "Latency by percentile",
		Caption: "Response time, from each request's intended send time, at each percentile of the run's " +
			"HdrHistogram. The percentile axis is logarithmic in 1/(1−p), so the tail gets as much room as the body.",
	}
	for _, g := range groups {
		svg, ok, err := percentileChart(g, colors)
		if err != nil {
			return nil, err
		}
		if ok {
			latency.Charts = append(latency.Charts, htmlChart{SVG: svg})
		}
	}
	if len(latency.Charts) > 0 {
		sections = append(sections, latency)
	}

	if sweeps := sweepWorkloads(runs); len(sweeps) > 0 {
		s := htmlSection{
			Title: "Latency against the limit",
			Caption: "Mean and 99th percentile response time at each limit of the sweep, one line per algorithm; " +
				"the limit axis is logarithmic.",
		}
		for _, wl := range sweeps {
			for _, stat := range []latencyStat{
				{"mean", func(p report.Percentiles) float64 { return p.Mean }},
				{"p99", func(p report.Percentiles) float64 { return p.P99 }},
			} {
				svg, err := sweepChart(wl, stat, runs, colors)
				if err != nil {
					return nil, err
				}
				s.Charts = append(s.Charts, htmlChart{SVG: svg})
			}
		}
		sections = append(sections, s)
	}

	accuracy := htmlSection{
		Title: "Accuracy: the most admitted in one window against the bound",
		Caption: "The most requests admitted for the busiest key in any span of one window length, against " +
			"the most the algorithm promises to admit in such a span. A red bar passed its bound. " +
			"Runs that promise nothing (the baseline) are left out: they would only stretch the scale.",
	}
	for _, g := range groups {
		g.runs = slices.DeleteFunc(slices.Clone(g.runs), func(r *report.Run) bool { return r.Accuracy.Bound < 0 })
		if len(g.runs) == 0 {
			continue
		}
		svg, err := accuracyChart(g)
		if err != nil {
			return nil, err
		}
		accuracy.Charts = append(accuracy.Charts, htmlChart{SVG: svg})
	}
	sections = append(sections, accuracy)

	overTime := htmlSection{
		Title: "Accepted and rejected over time",
		Caption: "Decisions per interval of the run's time series, drawn as steps: each level holds for the " +
			"whole interval it counts, so bursts at window edges show as far as the interval allows.",
		Small: true,
	}
	for _, r := range runs {
		if len(r.Timeseries.Points) == 0 || r.Timeseries.IntervalUS <= 0 {
			continue
		}
		svg, ok, err := timeseriesChart(r)
		if err != nil {
			return nil, err
		}
		if ok {
			overTime.Charts = append(overTime.Charts, htmlChart{SVG: svg})
		}
	}
	if len(overTime.Charts) > 0 {
		sections = append(sections, overTime)
	}
	if wrong, ok, err := oracleSection(runs); err != nil {
		return nil, err
	} else if ok {
		sections = append(sections, wrong)
	}
	return sections, nil
}

// Chart look: sizes, fonts and colors.
var (
	chartFont   = font.Font{Typeface: "Liberation", Variant: "Sans"}
	wideWidth   = vg.Points(560)
	wideHeight  = vg.Points(320)
	smallWidth  = vg.Points(380)
	smallHeight = vg.Points(220)
	lineWidth   = vg.Points(1.5)

	// seriesColors is Tableau 10, told apart by most color-blind readers.
	seriesColors = []color.Color{
		rgb(0x4e79a7), rgb(0xf28e2b), rgb(0xe15759), rgb(0x76b7b2), rgb(0x59a14f),
		rgb(0xedc948), rgb(0xb07aa1), rgb(0xff9da7), rgb(0x9c755f), rgb(0xbab0ac),
	}
	acceptedColor = rgb(0x59a14f)
	rejectedColor = rgb(0xe15759)
	errorsColor   = rgb(0x333333)
	faultColor    = rgb(0xb07aa1)
	admittedColor = rgb(0x4e79a7)
	overColor     = rgb(0xe15759)
	boundColor    = rgb(0xbab0ac)
	gridColor     = rgb(0xe0e0e0)
)

func rgb(v uint32) color.Color {
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 0xff}
}

// seriesStyle is one algorithm's line: a color, and past ten algorithms
// a dash pattern too.
type seriesStyle struct {
	color  color.Color
	dashes []vg.Length
}

// algorithmColors gives each algorithm the same style in every chart, in
// the order the algorithms first ran.
func algorithmColors(runs []*report.Run) map[string]seriesStyle {
	dashes := [][]vg.Length{nil, {vg.Points(6), vg.Points(3)}, {vg.Points(2), vg.Points(2)}}
	styles := map[string]seriesStyle{}
	for _, r := range runs {
		if _, ok := styles[r.Algorithm]; ok {
			continue
		}
		n := len(styles)
		styles[r.Algorithm] = seriesStyle{
			color:  seriesColors[n%len(seriesColors)],
			dashes: dashes[(n/len(seriesColors))%len(dashes)],
		}
	}
	return styles
}

// newPlot is a plot with the report's fonts, a light grid and no legend
// of its own: drawChart puts the legend beside the plot, not over the data.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = font.From(chartFont, 13)
	p.Title.Padding = vg.Points(8)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(chartFont, 11)
		a.Tick.Label.Font = font.From(chartFont, 10)
	}
	p.X.Label.Text, p.Y.Label.Text = xLabel, yLabel
	grid := plotter.NewGrid()
	grid.Horizontal.Color, grid.Vertical.Color = gridColor, gridColor
	p.Add(grid)
	return p
}

// newLegend is a legend in the report's font, drawn by drawChart.
func newLegend() *plot.Legend {
	l := plot.NewLegend()
	l.TextStyle.Font = font.From(chartFont, 10)
	l.Top, l.Left = true, true
	l.Padding = vg.Points(2)
	return &l
}

// drawChart draws p with the legend l (if any) in a column on its right,
// and returns the SVG element alone, ready to sit inside HTML.
func drawChart(p *plot.Plot, l *plot.Legend, w, h vg.Length, legendNames []string) (template.HTML, error) {
	c := vgsvg.New(w, h)
	dc := draw.New(c)
	var legendWidth vg.Length
	for _, name := range legendNames {
		legendWidth = max(legendWidth, l.TextStyle.Width(" "+name))
	}
	if legendWidth > 0 {
		// A fifth more than measured, for browsers that draw the text in a
		// wider font than the Liberation Sans it was measured in.
		legendWidth = min(l.ThumbnailWidth+legendWidth*6/5+vg.Points(16), w*2/5)
		l.Draw(draw.Crop(dc, w-legendWidth+vg.Points(10), 0, 0, -vg.Points(30)))
	}
	p.Draw(draw.Crop(dc, 0, -legendWidth, 0, 0))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return "", err
	}
	// Drop the XML declaration and generator comment, which belong to a
	// standalone .svg file, not to an element inside HTML.
	out := buf.String()
	i := strings.Index(out, "<svg")
	if i < 0 {
		return "", errors.New("chart: no <svg> element in the plot's output")
	}
	// vgsvg escapes every text it draws (titles, labels, legends), so the
	// element is safe to insert as it is.
	return template.HTML(out[i:]), nil
}

// The percentile chart samples each histogram percentileSteps times per
// decade of 1/(1-q), up to percentileDecades decades (99.999%).
const percentileDecades, percentileSteps = 5, 20

// percentileChart draws the response time at each percentile of each
// run's histogram, in the HdrHistogram style: the x axis is 1/(1-q) on a
// log scale, labelled 0%, 90%, 99%... It reports false when no run of the
// group has a histogram.
func percentileChart(g runGroup, styles map[string]seriesStyle) (template.HTML, bool, error) {
	p := newPlot("Response time by percentile · "+g.String(), "percentile", "response time (µs)")
	l := newLegend()
	var names []string
	var most int64
	type series struct {
		r *report.Run
		h *hdrhistogram.Histogram
	}
	var all []series
	for _, r := range g.runs {
		if r.Latency.Histogram == "" {
			continue
		}
		h, err := hdrhistogram.Decode([]byte(r.Latency.Histogram))
		if err != nil {
			return "", false, fmt.Errorf("run %s/%s: decode latency histogram: %w", r.Algorithm, r.Workload, err)
		}
		if h.TotalCount() == 0 {
			continue
		}
		most = max(most, h.TotalCount())
		all = append(all, series{r, h})
	}
	if len(all) == 0 {
		return "", false, nil
	}
	// Beyond one in N the percentiles of N samples are all the maximum, so
	// stop at the decade that holds the largest run's last sample.
	decades := min(percentileDecades, max(2, int(math.Ceil(math.Log10(float64(most))))))
	n := decades*percentileSteps + 1
	xs := make([]float64, n)
	quantiles := make([]float64, n)
	for i := range n {
		xs[i] = math.Pow(10, float64(i)/percentileSteps)
		quantiles[i] = 100 * (1 - 1/xs[i])
	}
	for _, s := range all {
		values := s.h.ValueAtPercentilesSlice(quantiles)
		pts := make(plotter.XYs, n)
		for i, v := range values {
			pts[i] = plotter.XY{X: xs[i], Y: float64(v) / 1e3}
		}
		line, err := plotter.NewLine(pts)
		if err != nil {
			return "", false, err
		}
		st := styles[s.r.Algorithm]
		line.Color, line.Width, line.Dashes = st.color, lineWidth, st.dashes
		p.Add(line)
		l.Add(s.r.Algorithm, line)
		names = append(names, s.r.Algorithm)
	}
	p.X.Scale = plot.LogScale{}
	p.X.Min, p.X.Max = 1, math.Pow10(decades)
	p.X.Tick.Marker = percentileTicks(decades)
	p.Y.Min = 0
	svg, err := drawChart(p, l, wideWidth, wideHeight, names)
	return svg, true, err
}

// percentileTicks labels each decade of 1/(1-q) with its percentile: 1 is
// 0%, 10 is 90%, 100 is 99%, and marks the steps between.
func percentileTicks(decades int) plot.ConstantTicks {
	var ticks plot.ConstantTicks
	for d := 0; d <= decades; d++ {
		x := math.Pow10(d)
		label := strconv.FormatFloat(100*(1-1/x), 'f', max(0, d-2), 64) + "%"
		ticks = append(ticks, plot.Tick{Value: x, Label: label})
		if d < decades {
			for k := 2; k < 10; k++ {
				ticks = append(ticks, plot.Tick{Value: float64(k) * x})
			}
		}
	}
	return ticks
}

// maxIntervals is the most intervals a time series chart draws.
const maxIntervals = 100_000

// timeseriesChart draws one run's decisions per interval as stacked
// steps: accepted at the bottom, rejected on top of it, errors (when any)
// on top of both, so the top edge is what was sent and no outcome hides
// another when their counts are equal.
//
// It reports false for a series of more than maxIntervals intervals,
// which no chart of this size could show.
func timeseriesChart(r *report.Run) (template.HTML, bool, error) {
	ts := r.Timeseries
	p := newPlot(r.Algorithm+" · "+r.Workload, "time (s)", "requests per "+report.Duration(ts.IntervalUS))
	p.Title.TextStyle.Font = font.From(chartFont, 11)
	l := newLegend()
	layers := []stackLayer[report.Point]{
		{"accepted", acceptedColor, func(pt report.Point) int64 { return pt.Accepted }},
		{"rejected", rejectedColor, func(pt report.Point) int64 { return pt.Rejected }},
		{"errors", errorsColor, func(pt report.Point) int64 { return pt.Errors }},
	}
	if !slices.ContainsFunc(ts.Points, func(pt report.Point) bool { return pt.Errors > 0 }) {
		layers = layers[:2]
	}
	// Intervals in which nothing happened may be absent: count them as
	// zero rather than draw the interval before across them.
	var last int64
	for _, pt := range ts.Points {
		last = max(last, pt.TUS)
	}
	if last/ts.IntervalUS >= maxIntervals {
		return "", false, nil
	}
	dense := make([]report.Point, last/ts.IntervalUS+1)
	for _, pt := range ts.Points {
		if pt.TUS >= 0 {
			i := pt.TUS / ts.IntervalUS
			dense[i].Accepted += pt.Accepted
			dense[i].Rejected += pt.Rejected
			dense[i].Errors += pt.Errors
			dense[i].Unknown += pt.Unknown
		}
	}
	lines, below, err := stackedSteps(layers, dense, ts.IntervalUS)
	if err != nil {
		return "", false, err
	}
	names := make([]string, len(layers))
	for i := len(lines) - 1; i >= 0; i-- {
		p.Add(lines[i])
	}
	// The legend lists the layers top down, as they stack.
	for i := len(layers) - 1; i >= 0; i-- {
		l.Add(layers[i].name, lines[i])
		names[i] = layers[i].name
	}
	if marks, err := eventMarks(r.Events, slices.Max(below)); err != nil {
		return "", false, err
	} else if marks != nil {
		for _, line := range marks.lines {
			p.Add(line)
		}
		p.Add(marks.labels)
		l.Add("fault", marks.lines[0])
		names = append(names, "fault")
	}
	p.X.Min, p.Y.Min = 0, 0
	// A tick at each interval's start while they fit.
	if len(dense) <= 12 {
		ticks := make(plot.ConstantTicks, len(dense)+1)
		for i := range ticks {
			t := float64(int64(i)*ts.IntervalUS) / 1e6
			ticks[i] = plot.Tick{Value: t, Label: strconv.FormatFloat(t, 'f', -1, 64)}
		}
		p.X.Tick.Marker = ticks
	}
	svg, err := drawChart(p, l, smallWidth, smallHeight, names)
	return svg, true, err
}

// faultMarks are the dashed vertical lines of a run's faults, each
// labelled with its kind at the top.
type faultMarks struct {
	lines  []*plotter.Line
	labels *plotter.Labels
}

// eventMarks marks each injected event at its time, as high as top; nil
// when no fault was injected.
func eventMarks(events []report.Event, top int64) (*faultMarks, error) {
	var m faultMarks
	var at plotter.XYs
	var kinds []string
	height := float64(max(top, 1))
	for _, e := range events {
		if e.Error != "" && e.TookUS == 0 {
			continue // never injected
		}
		x := float64(e.AtUS) / 1e6
		line, err := plotter.NewLine(plotter.XYs{{X: x, Y: 0}, {X: x, Y: height}})
		if err != nil {
			return nil, err
		}
		line.Color, line.Width = faultColor, lineWidth
		line.Dashes = []vg.Length{vg.Points(3), vg.Points(2)}
		m.lines = append(m.lines, line)
		at = append(at, plotter.XY{X: x, Y: height})
		kinds = append(kinds, " "+e.Kind)
	}
	if len(m.lines) == 0 {
		return nil, nil
	}
	labels, err := plotter.NewLabels(plotter.XYLabels{XYs: at, Labels: kinds})
	if err != nil {
		return nil, err
	}
	for i := range labels.TextStyle {
		labels.TextStyle[i].Font = font.From(chartFont, 8)
		labels.TextStyle[i].Color = faultColor
	}
	m.labels = labels
	return &m, nil
}

// stackLayer is one layer of a stacked step chart: its name, its colour
// and its count in one interval's point.
type stackLayer[P any] struct {
	name  string
	color color.Color
	count func(P) int64
}

// stackedSteps draws layers over dense, one point per interval of
// intervalUS from 0, each layer at its cumulative height (the caller adds
// them highest first, so that the lower layers paint over it), and
// returns the lines and each interval's total.
func stackedSteps[P any](layers []stackLayer[P], dense []P, intervalUS int64) ([]*plotter.Line, []int64, error) {
	lines := make([]*plotter.Line, len(layers))
	below := make([]int64, len(dense))
	for i, layer := range layers {
		// One more point than intervals, so the last step is as wide as
		// the others.
		pts := make(plotter.XYs, 0, len(dense)+1)
		for j, pt := range dense {
			below[j] += layer.count(pt)
			pts = append(pts, plotter.XY{X: float64(int64(j)*intervalUS) / 1e6, Y: float64(below[j])})
		}
		end := float64(len(dense)) * float64(intervalUS) / 1e6
		pts = append(pts, plotter.XY{X: end, Y: pts[len(pts)-1].Y})
		line, err := plotter.NewLine(pts)
		if err != nil {
			return nil, nil, err
		}
		line.StepStyle = plotter.PostStep
		line.Color, line.Width = layer.color, lineWidth
		line.FillColor = lighter(layer.color)
		lines[i] = line
	}
	return lines, below, nil
}

// lighter is c mixed with three parts of white, for filled areas.
func lighter(c color.Color) color.Color {
	r, g, b, _ := c.RGBA()
	mix := func(v uint32) uint8 { return uint8((v>>8 + 3*0xff) / 4) }
	return color.RGBA{R: mix(r), G: mix(g), B: mix(b), A: 0xff}
}

// accuracyChart draws, for each run of the group, the most admitted in one
// window beside the bound, as grouped bars with their values above them.
// Every run must have a bound: the caller leaves out those without.
func accuracyChart(g runGroup) (template.HTML, error) {
	p := newPlot("Max admitted in one window · "+g.String(), "", "requests")
	l := newLegend()
	n := len(g.runs)
	barWidth := min(vg.Points(22), (wideWidth-vg.Points(160))/vg.Length(2.6*float64(n)))
	var categories []string
	var admittedBar, overBar, boundBar *plotter.BarChart
	for i, r := range g.runs {
		a := r.Accuracy
		categories = append(categories, r.Algorithm)

		admitted, err := bar(float64(a.MaxAdmittedInWindow), i, -barWidth/2, barWidth)
		if err != nil {
			return "", err
		}
		if a.MaxAdmittedInWindow > a.Bound {
			admitted.Color = overColor
			overBar = firstBar(overBar, admitted)
		} else {
			admitted.Color = admittedColor
			admittedBar = firstBar(admittedBar, admitted)
		}
		p.Add(admitted)
		bound, err := bar(float64(a.Bound), i, barWidth/2, barWidth)
		if err != nil {
			return "", err
		}
		bound.Color = boundColor
		boundBar = firstBar(boundBar, bound)
		p.Add(bound)
	}
	// Value labels go above each bar: one Labels per side, since the
	// offset is per plotter.
	if err := addBarLabels(p, g.runs, barWidth); err != nil {
		return "", err
	}
	// Turn the names when they would run into each other.
	slot := (wideWidth - vg.Points(220)) / vg.Length(n)
	if slices.ContainsFunc(categories, func(c string) bool { return p.X.Tick.Label.Width(c) > slot*9/10 }) {
		p.X.Tick.Label.Rotation = math.Pi / 6
		p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YCenter
	}
	p.NominalX(categories...)
	p.X.Min, p.X.Max = -0.6, float64(n)-0.4
	p.Y.Min = 0
	// Head room for the value labels.
	p.Y.Max *= 1.12
	var names []string
	for _, e := range []struct {
		name string
		bar  *plotter.BarChart
	}{
		{"max admitted in a window", admittedBar},
		{"max admitted, over the bound", overBar},
		{"bound", boundBar},
	} {
		if e.bar != nil {
			l.Add(e.name, e.bar)
			names = append(names, e.name)
		}
	}
	return drawChart(p, l, wideWidth, wideHeight, names)
}

// bar is a bar chart of one bar at x, moved sideways by offset.
func bar(v float64, x int, offset, width vg.Length) (*plotter.BarChart, error) {
	b, err := plotter.NewBarChart(plotter.Values{v}, width)
	if err != nil {
		return nil, err
	}
	b.XMin, b.Offset = float64(x), offset
	b.LineStyle.Width = 0
	return b, nil
}

// firstBar is a, or b when a is nil: the bar a legend entry shows.
func firstBar(a, b *plotter.BarChart) *plotter.BarChart {
	if a != nil {
		return a
	}
	return b
}

// addBarLabels writes each bar's value just above it.
func addBarLabels(p *plot.Plot, runs []*report.Run, barWidth vg.Length) error {
	add := func(xys plotter.XYs, texts []string, dx vg.Length) error {
		if len(xys) == 0 {
			return nil
		}
		ls, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: texts})
		if err != nil {
			return err
		}
		for i := range ls.TextStyle {
			ls.TextStyle[i].Font = font.From(chartFont, 9)
			ls.TextStyle[i].XAlign = draw.XCenter
		}
		ls.Offset = vg.Point{X: dx, Y: vg.Points(2)}
		p.Add(ls)
		return nil
	}
	var leftXY, rightXY plotter.XYs
	var left, right []string
	for i, r := range runs {
		a := r.Accuracy
		leftXY = append(leftXY, plotter.XY{X: float64(i), Y: float64(a.MaxAdmittedInWindow)})
		left = append(left, strconv.FormatInt(a.MaxAdmittedInWindow, 10))
		rightXY = append(rightXY, plotter.XY{X: float64(i), Y: float64(a.Bound)})
		right = append(right, strconv.FormatInt(a.Bound, 10))
	}
	if err := add(leftXY, left, -barWidth/2); err != nil {
		return err
	}
	return add(rightXY, right, barWidth/2)
}

// latencyStat is one latency figure of a run, named.
type latencyStat struct {
	name  string
	value func(report.Percentiles) float64
}

// sweepWorkloads are the workloads under which some algorithm ran at more
// than one limit, in the order they ran.
func sweepWorkloads(runs []*report.Run) []string {
	type key struct{ algorithm, workload string }
	first := map[key]int64{}
	var out []string
	for _, r := range runs {
		k := key{r.Algorithm, r.Workload}
		requests, seen := first[k]
		if !seen {
			first[k] = r.Limit.Requests
			continue
		}
		if requests != r.Limit.Requests && !slices.Contains(out, r.Workload) {
			out = append(out, r.Workload)
		}
	}
	return out
}

// sweepChart draws one latency figure against the limit, one line per
// algorithm, for one workload of a sweep.
func sweepChart(wl string, stat latencyStat, runs []*report.Run, styles map[string]seriesStyle) (template.HTML, error) {
	p := newPlot(stat.name+" response time against the limit · "+wl, "limit (requests per window)", stat.name+" response time (µs)")
	l := newLegend()
	var names []string
	var algorithms []string
	var limits []int64
	for _, r := range runs {
		if r.Workload != wl || r.Counts.Sent == 0 {
			continue
		}
		if !slices.Contains(algorithms, r.Algorithm) {
			algorithms = append(algorithms, r.Algorithm)
		}
		if !slices.Contains(limits, r.Limit.Requests) {
			limits = append(limits, r.Limit.Requests)
		}
	}
	slices.Sort(limits)
	logX := len(limits) > 0 && limits[0] > 0
	for _, a := range algorithms {
		var pts plotter.XYs
		for _, r := range runs {
			if r.Workload == wl && r.Algorithm == a && r.Counts.Sent > 0 {
				pts = append(pts, plotter.XY{X: float64(r.Limit.Requests), Y: stat.value(r.Latency.ResponseUS)})
			}
		}
		slices.SortStableFunc(pts, func(x, y plotter.XY) int { return cmp.Compare(x.X, y.X) })
		line, points, err := plotter.NewLinePoints(pts)
		if err != nil {
			return "", err
		}
		st := styles[a]
		line.Color, line.Width, line.Dashes = st.color, lineWidth, st.dashes
		points.Color, points.Shape = st.color, draw.CircleGlyph{}
		p.Add(line, points)
		l.Add(a, line, points)
		names = append(names, a)
	}
	ticks := make(plot.ConstantTicks, len(limits))
	for i, n := range limits {
		ticks[i] = plot.Tick{Value: float64(n), Label: strconv.FormatInt(n, 10)}
	}
	p.X.Tick.Marker = ticks
	if logX {
		p.X.Scale = plot.LogScale{}
		// Half a step of room on each side, so end points are not on the axes.
		p.X.Min, p.X.Max = float64(limits[0])/1.5, float64(limits[len(limits)-1])*1.5
	}
	p.Y.Min = 0
	return drawChart(p, l, wideWidth, wideHeight, names)
}
