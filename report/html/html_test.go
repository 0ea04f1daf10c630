package html

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/rlbench/rlbench/report"
	nethtml "golang.org/x/net/html"
)

// encodedHistogram records n response times in nanoseconds, spread from
// base with a slow tail, and encodes them as a results file does.
func encodedHistogram(t *testing.T, n int, base int64) string {
	t.Helper()
	h := hdrhistogram.New(1, 60e9, 3)
	for i := range n {
		v := base + int64(i%97)*base/50
		if i%100 == 99 {
			v *= 8 // one in a hundred waits for something
		}
		if err := h.RecordValue(v); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.RecordValue(base * 40); err != nil { // and one stall
		t.Fatal(err)
	}
	b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// htmlFixture is a window-edge run of fixed, gcra and the baseline with
// real histograms: fixed admits twice its limit across a window edge,
// which its time series shows at 500 ms, and the baseline promises no
// bound.
func htmlFixture(t *testing.T) *report.File {
	t.Helper()
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	lim := report.Limit{Requests: 20, WindowUS: 1_000_000}
	run := func(algorithm string, base int64, accepted int64, acc report.Accuracy, points []report.Point) report.Run {
		return report.Run{
			Algorithm: algorithm,
			Workload:  "window-edge",
			Limit:     lim,
			Counts:    report.Counts{Sent: 120, Accepted: accepted, Rejected: 120 - accepted},
			Rates:     report.Rates{OfferedPerS: 40, AchievedPerS: 40, AcceptedPerS: float64(accepted) / 3},
			Latency: report.Latency{
				ResponseUS: report.Percentiles{Mean: float64(base) / 1e3, P50: float64(base) / 1e3, P99: float64(8*base) / 1e3},
				Histogram:  encodedHistogram(t, 2000, base),
			},
			Accuracy:   acc,
			Timeseries: report.Timeseries{IntervalUS: 250_000, Points: points},
			ElapsedUS:  3_000_000,
			EndReason:  report.EndCompleted,
		}
	}
	return &report.File{
		SchemaVersion: report.SchemaVersion,
		Tool:          report.Tool{Name: "rlbench", Version: "v0.4.0", Go: "go1.26.8"},
		Host:          report.Host{OS: "linux", Arch: "amd64", CPUs: 2},
		Target:        report.Target{Kind: "redis", Address: "127.0.0.1:6379", ServerVersion: "7.0.15"},
		Config: report.Config{
			Algorithms: []string{"fixed", "gcra", "baseline"}, Workload: "window-edge",
			Requests: 120, BurstSize: 20, EdgeOffsetUS: 5_000, Concurrency: 8,
			IntervalUS: 250_000, Keys: 1, KeyDist: "uniform", Limit: lim, Clock: "server", Seed: 7,
		},
		StartedAt: start,
		EndedAt:   start.Add(9 * time.Second),
		EndReason: report.EndCompleted,
		Runs: []report.Run{
			run("fixed", 180_000, 80,
				report.Accuracy{MaxAdmittedInWindow: 40, Bound: 20, OverAdmitted: 20, KeysOverBound: 1, Keys: 1},
				[]report.Point{
					{TUS: 0, Accepted: 0}, {TUS: 250_000, Accepted: 0},
					{TUS: 500_000, Accepted: 20}, {TUS: 750_000, Accepted: 20}, // both sides of the edge at 1 s
					{TUS: 1_000_000, Rejected: 20}, {TUS: 1_250_000},
					{TUS: 1_500_000, Accepted: 20, Rejected: 20}, {TUS: 1_750_000, Accepted: 20, Rejected: 20},
				}),
			run("gcra", 150_000, 60,
				report.Accuracy{MaxAdmittedInWindow: 20, Bound: 20, Keys: 1},
				[]report.Point{
					{TUS: 500_000, Accepted: 20}, {TUS: 750_000, Accepted: 5, Rejected: 15},
					{TUS: 1_000_000, Accepted: 5, Rejected: 15}, {TUS: 1_250_000},
					{TUS: 1_500_000, Accepted: 15, Rejected: 25}, {TUS: 1_750_000, Accepted: 15, Rejected: 25},
				}),
			run("baseline", 120_000, 120,
				report.Accuracy{MaxAdmittedInWindow: 80, Bound: -1, Keys: 1},
				[]report.Point{
					{TUS: 500_000, Accepted: 20}, {TUS: 750_000, Accepted: 20}, {TUS: 1_000_000, Accepted: 20},
					{TUS: 1_500_000, Accepted: 40}, {TUS: 1_750_000, Accepted: 20, Errors: 2},
				}),
		},
	}
}

// sweepFixture is a bench with --sweep limit=10,100,1000 and --count 2:
// two algorithms, three limits, two repetitions each.
func sweepFixture(t *testing.T) *report.File {
	t.Helper()
	f := htmlFixture(t)
	base := f.Runs[0]
	f.Runs = nil
	for _, requests := range []int64{10, 100, 1000} {
		for i, algorithm := range []string{"sliding", "token"} {
			for repeat := range 2 {
				r := base
				r.Algorithm, r.Repeat = algorithm, repeat
				r.Limit = report.Limit{Requests: requests, WindowUS: 1_000_000}
				latency := 100_000 + 20_000*int64(i) + requests*(1+int64(i))*30
				r.Latency.ResponseUS.Mean = float64(latency) / 1e3
				r.Latency.ResponseUS.P99 = float64(latency) * 3 / 1e3
				r.Latency.Histogram = encodedHistogram(t, 500, latency)
				r.Accuracy = report.Accuracy{MaxAdmittedInWindow: requests, Bound: requests, Keys: 1}
				f.Runs = append(f.Runs, r)
			}
		}
	}
	return f
}

func renderString(t *testing.T, files ...*report.File) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Render(&buf, files...); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with the golden file at path, or rewrites the file
// under -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report/html -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test ./report/html -update rewrites it):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// readFixture reads one of report's own test fixtures as the json format
// writes them (report/testdata/json*.golden), so that the html goldens
// follow any change to them.
func readFixture(name string) func(*testing.T) *report.File {
	return func(t *testing.T) *report.File {
		t.Helper()
		f, err := report.ReadFile(filepath.Join("..", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
}

func TestRenderGolden(t *testing.T) {
	for name, file := range map[string]func(*testing.T) *report.File{
		"html":             readFixture("json.golden"),
		"html_interrupted": readFixture("json_interrupted.golden"),
		"html_oracle":      readFixture("json_oracle.golden"),
		"html_window_edge": htmlFixture,
		"html_sweep":       sweepFixture,
	} {
		t.Run(name, func(t *testing.T) {
			got := renderString(t, file(t))
			if again := renderString(t, file(t)); again != got {
				t.Fatal("two renderings of the same file differ")
			}
			golden(t, filepath.Join("testdata", name+".golden"), []byte(got))
		})
	}
}

// TestRenderPage checks what a reader and a browser rely on: the page
// parses with balanced tags, has each chart, names each algorithm, and
// needs nothing online.
func TestRenderPage(t *testing.T) {
	tests := []struct {
		name string
		file func(*testing.T) *report.File
		// charts by kind: percentile, sweep, accuracy, time series
		charts     int
		algorithms []string
		contains   []string
	}{
		{
			name: "window edge",
			file: htmlFixture,
			// one workload and limit: one percentile and one accuracy chart,
			// and a time series per run
			charts:     1 + 1 + 3,
			algorithms: []string{"fixed", "gcra", "baseline"},
			contains: []string{
				"Response time by percentile", "99.9%", "Max admitted in one window", "are left out: they would only stretch the scale",
				"over the bound", "requests per 250ms", ">errors</text>", "seed 7", "2025-03-01T12:00:09Z",
				"results schema version 1",
			},
		},
		{
			name: "sweep with repeats",
			file: sweepFixture,
			// three limits: three percentile and accuracy charts, mean and
			// p99 against the limit, and a time series per first repetition
			charts:     3 + 2 + 3 + 6,
			algorithms: []string{"sliding", "token"},
			contains: []string{
				"Latency against the limit", "mean response time against the limit",
				"p99 response time against the limit", "first repetition", "Limits (sweep)",
				"10/1s, 100/1s, 1000/1s", ">repeat</th>", ">limit</th>",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.file(t)
			page := renderString(t, f)
			checkBalanced(t, page)
			if got := countSVG(t, page); got != tt.charts {
				t.Errorf("page has %d <svg> charts, want %d", got, tt.charts)
			}
			if got, want := strings.Count(page, "<tr>")+strings.Count(page, `<tr class="partial">`), len(f.Runs)+1; got != want {
				t.Errorf("table has %d rows with its header, want %d (one per run and repetition)", got, want)
			}
			for _, a := range tt.algorithms {
				if !strings.Contains(page, ">"+a+"</td>") || !strings.Contains(page, ">"+a+"</text>") {
					t.Errorf("algorithm %q is not in both the table and a chart", a)
				}
			}
			for _, s := range tt.contains {
				if !strings.Contains(page, s) {
					t.Errorf("page does not contain %q", s)
				}
			}
			checkOffline(t, page)
		})
	}
}

// checkOffline fails when the page would fetch anything: a URL outside
// the SVG namespace declarations, or a script.
func checkOffline(t *testing.T, page string) {
	t.Helper()
	namespaces := regexp.MustCompile(`xmlns(:xlink)?="http://www\.w3\.org/(2000/svg|1999/xlink)"`)
	rest := namespaces.ReplaceAllString(page, "")
	for _, bad := range []string{"http://", "https://", "<script", "@import", "url(", "<link"} {
		if i := strings.Index(rest, bad); i >= 0 {
			t.Errorf("page contains %q: ...%s...", bad, rest[max(0, i-60):min(len(rest), i+60)])
		}
	}
}

// checkBalanced tokenizes page and fails on an end tag that closes
// anything but the element last opened, or an element left open.
func checkBalanced(t *testing.T, page string) {
	t.Helper()
	void := map[string]bool{"meta": true, "br": true, "img": true, "hr": true, "link": true, "input": true}
	z := nethtml.NewTokenizer(strings.NewReader(page))
	var open []string
	for {
		switch z.Next() {
		case nethtml.ErrorToken:
			if z.Err() != io.EOF {
				t.Fatal(z.Err())
			}
			if len(open) > 0 {
				t.Errorf("elements left open at the end: %v", open)
			}
			return
		case nethtml.StartTagToken:
			name, _ := z.TagName()
			if !void[string(name)] {
				open = append(open, string(name))
			}
		case nethtml.EndTagToken:
			name, _ := z.TagName()
			if len(open) == 0 || open[len(open)-1] != string(name) {
				t.Fatalf("</%s> closes %v", name, open)
			}
			open = open[:len(open)-1]
		}
	}
}

// countSVG parses page as a browser would and counts the svg elements,
// each of which must sit in a figure.
func countSVG(t *testing.T, page string) int {
	t.Helper()
	doc, err := nethtml.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for node := range doc.Descendants() {
		if node.Type == nethtml.ElementNode && node.Data == "svg" {
			n++
			if node.Parent == nil || node.Parent.Data != "figure" {
				t.Errorf("an <svg> sits in <%s>, not in a <figure>", node.Parent.Data)
			}
		}
	}
	return n
}

func TestRenderEscapes(t *testing.T) {
	f := htmlFixture(t)
	evil := `<script>alert(1)</script>`
	f.Runs[0].Algorithm = evil
	f.Runs[1].Workload = `"><img src=x onerror=alert(2)>`
	f.Target.Address = `<b>host</b>`
	page := renderString(t, f)
	checkBalanced(t, page)
	checkOffline(t, page)
	if strings.Contains(page, "<img") || strings.Contains(page, "<b>") {
		t.Error("page holds markup from the results file unescaped")
	}
	// In the table, the summary notes and the charts' legends and titles.
	if n := strings.Count(page, "&lt;script&gt;alert(1)&lt;/script&gt;"); n < 3 {
		t.Errorf("escaped algorithm name appears %d times, want it in the table and the charts", n)
	}
}

func TestRenderPartial(t *testing.T) {
	f := htmlFixture(t)
	f.EndReason = report.EndInterrupted
	f.Runs[2].EndReason = report.EndInterrupted
	page := renderString(t, f)
	for _, s := range []string{"<title>rlbench report (PARTIAL)</title>", "PARTIAL RESULTS", `<tr class="partial">`} {
		if !strings.Contains(page, s) {
			t.Errorf("interrupted file's page does not contain %q", s)
		}
	}
}

func TestRenderSeveralFiles(t *testing.T) {
	page := renderString(t, htmlFixture(t), sweepFixture(t))
	checkBalanced(t, page)
	if got, want := countSVG(t, page), 5+14; got != want {
		t.Errorf("page has %d charts, want %d", got, want)
	}
	for _, s := range []string{"Results 1 of 2", "Results 2 of 2"} {
		if !strings.Contains(page, s) {
			t.Errorf("page does not contain %q", s)
		}
	}
	if n := strings.Count(page, "<footer>"); n != 1 {
		t.Errorf("page has %d footers, want 1", n)
	}
}

func TestRenderErrors(t *testing.T) {
	bad := htmlFixture(t)
	bad.Runs[1].Latency.Histogram = "not a histogram"
	tests := []struct {
		name  string
		files []*report.File
		want  string
	}{
		{"no files", nil, "render html: no results"},
		{"nil file", []*report.File{htmlFixture(t), nil}, "render html: results 2 of 2: no results"},
		{"bad histogram", []*report.File{bad}, "render html: run gcra/window-edge: decode latency histogram"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Render(&buf, tt.files...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Render = %v, want an error containing %q", err, tt.want)
			}
			if buf.Len() != 0 {
				t.Errorf("Render wrote %d bytes before failing", buf.Len())
			}
		})
	}
}

// TestRenderNothingSent renders runs that sent nothing, as an
// interrupted bench leaves them: no histogram and no time series.
func TestRenderNothingSent(t *testing.T) {
	f := htmlFixture(t)
	for i := range f.Runs {
		f.Runs[i].Counts = report.Counts{}
		f.Runs[i].Latency = report.Latency{}
		f.Runs[i].Timeseries = report.Timeseries{}
	}
	page := renderString(t, f)
	checkBalanced(t, page)
	// Only the accuracy chart has anything to draw.
	if got := countSVG(t, page); got != 1 {
		t.Errorf("page has %d charts, want 1", got)
	}
}

// TestRenderOracleChart: a file judged by an oracle has the chart of
// wrong decisions over time, one per run; one without has none.
func TestRenderOracleChart(t *testing.T) {
	with := renderString(t, readFixture("json_oracle.golden")(t))
	without := renderString(t, readFixture("json.golden")(t))
	if !strings.Contains(with, "Wrong decisions over time") || strings.Contains(without, "Wrong decisions over time") {
		t.Fatalf("the section is in the page judged by an oracle: %v, in the page without: %v",
			strings.Contains(with, "Wrong decisions over time"), strings.Contains(without, "Wrong decisions over time"))
	}
	if got, want := countSVG(t, with)-countSVG(t, without), 2; got != want {
		t.Errorf("%d more charts with the oracle, want %d (one per run)", got, want)
	}
	for _, s := range []string{"false allows", "false denies", "by sliding"} {
		if !strings.Contains(with, s) {
			t.Errorf("the page does not say %q", s)
		}
	}
}
