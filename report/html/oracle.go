package html

import (
	"html/template"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"

	"github.com/rlbench/rlbench/report"
)

// Colors of the wrong decisions: a false allow let through what the
// policy forbids (over the bound's red), a false deny refused what it
// allows (the orange of a lost request).
var (
	falseAllowColor = rgb(0xe15759)
	falseDenyColor  = rgb(0xf28e2b)
)

// oracleSection is the section of wrong decisions over time, one small
// chart per run judged by an oracle (--oracle); false when none was.
func oracleSection(runs []*report.Run) (htmlSection, bool, error) {
	s := htmlSection{
		Title: "Wrong decisions over time",
		Caption: "Each run's decisions judged by the exact policy (--oracle), per interval of its sending: false allows " +
			"(admitted what the policy forbids, given what the target had admitted) stacked under false denies (rejected " +
			"what it allows). Unknown outcomes are counted in neither; the table's intervals bound them.",
		Small: true,
	}
	for _, r := range runs {
		o := r.Oracle
		if o == nil || o.Timeseries.IntervalUS <= 0 {
			continue
		}
		svg, ok, err := oracleChart(r)
		if err != nil {
			return s, false, err
		}
		if ok {
			s.Charts = append(s.Charts, htmlChart{SVG: svg})
		}
	}
	return s, len(s.Charts) > 0, nil
}

// oracleChart draws one run's false allows and false denies per interval
// as stacked steps; false for a series of more than maxIntervals
// intervals.
func oracleChart(r *report.Run) (template.HTML, bool, error) {
	o := r.Oracle
	ts := o.Timeseries
	title := r.Algorithm + " · " + r.Workload + " · by " + o.Policy
	p := newPlot(title, "time (s)", "wrong decisions per "+report.Duration(ts.IntervalUS))
	p.Title.TextStyle.Font = font.From(chartFont, 11)
	var last int64
	for _, pt := range ts.Points {
		last = max(last, pt.TUS)
	}
	n := last/ts.IntervalUS + 1
	if n > maxIntervals {
		return "", false, nil
	}
	dense := make([]report.OraclePoint, n)
	for _, pt := range ts.Points {
		if pt.TUS >= 0 {
			i := pt.TUS / ts.IntervalUS
			dense[i].FalseAllows += pt.FalseAllows
			dense[i].FalseDenies += pt.FalseDenies
		}
	}
	layers := []stackLayer[report.OraclePoint]{
		{"false allows", falseAllowColor, func(pt report.OraclePoint) int64 { return pt.FalseAllows }},
		{"false denies", falseDenyColor, func(pt report.OraclePoint) int64 { return pt.FalseDenies }},
	}
	l := newLegend()
	lines, _, err := stackedSteps(layers, dense, ts.IntervalUS)
	if err != nil {
		return "", false, err
	}
	names := make([]string, len(layers))
	for i := len(lines) - 1; i >= 0; i-- {
		p.Add(lines[i])
		l.Add(layers[i].name, lines[i])
		names[len(layers)-1-i] = layers[i].name
	}
	p.X.Min, p.Y.Min = 0, 0
	// An empty chart still has a scale: no wrong decision is a finding.
	p.Y.Max = max(p.Y.Max, 1)
	if n <= 12 {
		ticks := make(plot.ConstantTicks, n+1)
		for i := range ticks {
			t := float64(int64(i)*ts.IntervalUS) / 1e6
			ticks[i] = plot.Tick{Value: t, Label: strconv.FormatFloat(t, 'f', -1, 64)}
		}
		p.X.Tick.Marker = ticks
	}
	svg, err := drawChart(p, l, smallWidth, smallHeight, names)
	return svg, true, err
}
