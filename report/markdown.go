package report

import (
	"fmt"
	"io"
	"strings"
)

// Markdown is what Table shows, for a README or a pull request: the
// seed-style table as a code block, the summary as a paragraph, the runs
// as a GitHub table, the notes as a list, and a sweep's table. It is the
// report.md that bench -o writes.
var Markdown = Format{
	Name:        "markdown",
	Description: "the table format in GitHub Markdown; bench -o writes it as report.md",
	Render:      fileByFile("\n", renderMarkdown),
}

func renderMarkdown(w io.Writer, f *File) error {
	if hasSeedTable(f) {
		// A code block keeps the seed's aligned columns and its ✔ and ✘.
		if _, err := fmt.Fprintln(w, "```"); err != nil {
			return err
		}
		if err := writeSeedTable(w, f); err != nil {
			return err
		}
		if _, err := fmt.Fprint(w, "```\n\n"); err != nil {
			return err
		}
	}
	if _, err := fmt.Fprintf(w, "**rlbench** %s\n\n", summary(f)); err != nil {
		return err
	}
	if err := writeRuns(w, f.Runs, true); err != nil {
		return err
	}
	if n := notes(f); len(n) > 0 {
		if _, err := fmt.Fprintf(w, "\n- %s\n", strings.Join(n, "\n- ")); err != nil {
			return err
		}
	}
	if hasSweepTable(f) {
		if _, err := fmt.Fprintln(w); err != nil {
			return err
		}
		return writeSweepMarkdown(w, f)
	}
	if hasSkewTable(f) {
		if _, err := fmt.Fprintln(w); err != nil {
			return err
		}
		return writeSkewMarkdown(w, f)
	}
	return nil
}
