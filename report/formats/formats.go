// Package formats is the registry of results formats: every --format
// rlbench renders, report's own and report/html's page, in one list.
//
// The list lives here rather than in report because the page's package
// imports report; a registry filled by init functions would hide it.
// Adding a format is its file (a report.Format) and one row of all.
package formats

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/rlbench/rlbench/report"
	"github.com/rlbench/rlbench/report/html"
)

// all is every format, in the order help lists them.
var all = []report.Format{
	report.Table,
	report.JSON,
	report.CSV,
	report.Markdown,
	html.Format,
	report.Benchfmt,
}

// ErrUnknownFormat means Render was asked for a format it does not know;
// the wrapping error names the format and lists those it does.
var ErrUnknownFormat = errors.New("unknown format")

// All returns every format, in the order help lists them.
func All() []report.Format { return slices.Clone(all) }

// Names are the formats' names: table, json, csv, markdown, html, benchfmt.
func Names() []string {
	names := make([]string, len(all))
	for i, f := range all {
		names[i] = f.Name
	}
	return names
}

// Lookup returns the format called name, or an ErrUnknownFormat.
func Lookup(name string) (report.Format, error) {
	for _, f := range all {
		if f.Name == name {
			return f, nil
		}
	}
	return report.Format{}, fmt.Errorf("%w %q: want one of %s", ErrUnknownFormat, name, strings.Join(Names(), ", "))
}

// Render writes files in the named format. A format that takes one file
// refuses several with report.ErrOneFile.
func Render(w io.Writer, name string, files ...*report.File) error {
	f, err := Lookup(name)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return errors.New("render results: no results")
	}
	for i, file := range files {
		switch {
		case file == nil && len(files) == 1:
			return errors.New("render results: no results")
		case file == nil:
			return fmt.Errorf("render results: results %d of %d: no results", i+1, len(files))
		}
	}
	return f.Render(w, files...)
}
