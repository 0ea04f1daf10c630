package formats

import (
	"bytes"
	"encoding/csv"
	"errors"
	"strings"
	"testing"

	"github.com/rlbench/rlbench/report"
	"github.com/rlbench/rlbench/report/html"
)

// file is a results file of two runs, as small as renders in every format.
func file(algorithms ...string) *report.File {
	f := &report.File{Target: report.Target{Kind: "miniredis"}, Config: report.Config{Workload: "closed", Concurrency: 1, Seed: 3}}
	for _, a := range algorithms {
		f.Runs = append(f.Runs, report.Run{
			Algorithm: a, Workload: "closed",
			Limit:    report.Limit{Requests: 10, WindowUS: 1_000_000},
			Counts:   report.Counts{Sent: 20, Accepted: 10, Rejected: 10},
			Accuracy: report.Accuracy{MaxAdmittedInWindow: 10, Bound: 20, BurstBound: -1, AlignedBound: -1},
		})
	}
	return f
}

func TestNames(t *testing.T) {
	if got := strings.Join(Names(), " "); got != "table json csv markdown html benchfmt" {
		t.Errorf("Names() = %s, want table json csv markdown html benchfmt", got)
	}
	for _, f := range All() {
		if f.Description == "" || f.Render == nil {
			t.Errorf("format %q has no description or no Render", f.Name)
		}
	}
}

func TestRenderUnknownFormat(t *testing.T) {
	err := Render(&bytes.Buffer{}, "html5", file("fixed"))
	want := `unknown format "html5": want one of table, json, csv, markdown, html, benchfmt`
	if !errors.Is(err, ErrUnknownFormat) || err.Error() != want {
		t.Errorf("Render(html5) = %v, want %q wrapping ErrUnknownFormat", err, want)
	}
}

func TestRenderNoResults(t *testing.T) {
	for _, tt := range []struct {
		name  string
		files []*report.File
		want  string
	}{
		{"none", nil, "render results: no results"},
		{"nil", []*report.File{nil}, "render results: no results"},
		{"second nil", []*report.File{file("fixed"), nil}, "render results: results 2 of 2: no results"},
	} {
		for _, format := range Names() {
			t.Run(tt.name+"/"+format, func(t *testing.T) {
				var buf bytes.Buffer
				if err := Render(&buf, format, tt.files...); err == nil || err.Error() != tt.want {
					t.Errorf("Render = %v, want %q", err, tt.want)
				}
				if buf.Len() > 0 {
					t.Errorf("wrote %q before failing", buf.String())
				}
			})
		}
	}
}

// TestRenderEmpty: a file without runs (a run interrupted before its
// first) still renders something in every format.
func TestRenderEmpty(t *testing.T) {
	for _, format := range Names() {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Render(&buf, format, &report.File{}); err != nil {
				t.Fatal(err)
			}
			if buf.Len() == 0 {
				t.Error("no output for a file without runs")
			}
		})
	}
}

func TestRenderHTMLIsThePage(t *testing.T) {
	var viaRender, direct bytes.Buffer
	a, b := file("fixed"), file("gcra")
	if err := Render(&viaRender, "html", a, b); err != nil {
		t.Fatal(err)
	}
	if err := html.Render(&direct, a, b); err != nil {
		t.Fatal(err)
	}
	if viaRender.String() != direct.String() {
		t.Error(`Render(w, "html", a, b) differs from html.Render(w, a, b)`)
	}
}

// TestRenderSeveralFiles: each format says how it takes several files.
func TestRenderSeveralFiles(t *testing.T) {
	a, b := file("fixed", "sliding"), file("gcra")
	render := func(t *testing.T, format string, files ...*report.File) string {
		t.Helper()
		var buf bytes.Buffer
		if err := Render(&buf, format, files...); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	t.Run("table and markdown: one after another, a blank line between", func(t *testing.T) {
		for _, format := range []string{"table", "markdown"} {
			if got, want := render(t, format, a, b), render(t, format, a)+"\n"+render(t, format, b); got != want {
				t.Errorf("%s of two files:\n%s\nwant:\n%s", format, got, want)
			}
		}
	})
	t.Run("benchfmt: one after another", func(t *testing.T) {
		if got, want := render(t, "benchfmt", a, b), render(t, "benchfmt", a)+render(t, "benchfmt", b); got != want {
			t.Errorf("benchfmt of two files:\n%s\nwant:\n%s", got, want)
		}
	})
	t.Run("csv: one header, then every run", func(t *testing.T) {
		records, err := csv.NewReader(strings.NewReader(render(t, "csv", a, b))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var algorithms []string
		for _, r := range records {
			algorithms = append(algorithms, r[0])
		}
		if got := strings.Join(algorithms, ","); got != "algorithm,fixed,sliding,gcra" {
			t.Errorf("csv first column %s, want the header once and then fixed, sliding, gcra", got)
		}
	})
	t.Run("json: one file only", func(t *testing.T) {
		var buf bytes.Buffer
		err := Render(&buf, "json", a, b)
		want := "json renders one file, not 2: merge them first with rlbench report merge"
		if !errors.Is(err, report.ErrOneFile) || err.Error() != want {
			t.Errorf("Render(json, two files) = %v, want %q wrapping report.ErrOneFile", err, want)
		}
		if buf.Len() > 0 {
			t.Errorf("wrote %q before failing", buf.String())
		}
	})
}
