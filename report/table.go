package report

import (
	"fmt"
	"io"
)

// Table is the format for a terminal: a bench's seed-style table, the
// summary line, one boxed row per run, the notes, and a sweep's table of
// service time against the limit.
var Table = Format{
	Name:        "table",
	Description: "tables for a terminal: a bench's seed-style table, the runs, the notes, a sweep's table",
	Render:      fileByFile("\n", renderTable),
}

func renderTable(w io.Writer, f *File) error {
	if hasSeedTable(f) {
		if err := writeSeedTable(w, f); err != nil {
			return err
		}
		if _, err := fmt.Fprintln(w); err != nil {
			return err
		}
	}
	if _, err := fmt.Fprintln(w, summary(f)); err != nil {
		return err
	}
	if err := writeRuns(w, f.Runs, false); err != nil {
		return err
	}
	for _, n := range notes(f) {
		if _, err := fmt.Fprintln(w, n); err != nil {
			return err
		}
	}
	if hasSweepTable(f) {
		if _, err := fmt.Fprintln(w); err != nil {
			return err
		}
		return writeSweepTable(w, f)
	}
	if hasSkewTable(f) {
		if _, err := fmt.Fprintln(w); err != nil {
			return err
		}
		return writeSkewTable(w, f)
	}
	return nil
}
