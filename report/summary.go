package report

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// WriteSummary writes c in Markdown for a CI job's summary (GitHub's
// $GITHUB_STEP_SUMMARY, a merge request's note): a heading with the
// verdict, the checks (failed first, then skipped, then passed) with
// their bounds and figures, the changes of the runs both sides have with
// the significant ones marked, the notes, and NEW's seed-style table (its
// table of runs when NEW is not a bench). title names what was compared,
// as in "rlbench compare base.json new.json".
func (c Comparison) WriteSummary(w io.Writer, title string, new *File) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s\n\n", c.headline(title))
	if len(c.Verdicts) > 0 {
		b.WriteString("### Thresholds\n\n")
		if err := c.writeVerdicts(&b); err != nil {
			return err
		}
	}
	if slices.ContainsFunc(c.Rows, func(r Row) bool { return r.Only == "" }) {
		b.WriteString("\n### Changes from BASE to NEW\n\n")
		if err := c.writeChanges(&b); err != nil {
			return err
		}
	}
	if len(c.Notes) > 0 {
		fmt.Fprintf(&b, "\n- %s\n", strings.Join(c.Notes, "\n- "))
	}
	if new != nil && len(new.Runs) > 0 {
		b.WriteString("\n### NEW\n\n")
		if hasSeedTable(new) {
			b.WriteString("```\n")
			if err := writeSeedTable(&b, new); err != nil {
				return err
			}
			b.WriteString("```\n")
		} else if err := writeRuns(&b, new.Runs, true); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// headline is "❌ title: 1 of 13 checks failed", "✅ title: all 8 checks
// passed, 5 skipped", or the title alone without thresholds.
func (c Comparison) headline(title string) string {
	n, skipped := len(c.Verdicts), c.count(VerdictSkipped)
	var skips string
	if skipped > 0 {
		skips = fmt.Sprintf(", %d skipped", skipped)
	}
	switch {
	case len(c.Thresholds) == 0:
		return title
	case len(c.Failed) > 0:
		return fmt.Sprintf("❌ %s: %d of %d %s failed%s", title, len(c.Failed), n, Plural(n, "check"), skips)
	}
	return fmt.Sprintf("✅ %s: %d %s passed%s", title, n-skipped, Plural(n-skipped, "check"), skips)
}

// writeVerdicts writes a row per Verdict: failed ones first, then
// skipped ones, then the passed ones folded away, so that a long matrix
// does not bury what failed.
func (c Comparison) writeVerdicts(w io.Writer) error {
	table := func(statuses ...Status) error {
		t := markdownTable(w, []string{"verdict", "check", "run", "bound", "base", "new", "detail"},
			[]tw.Align{tw.AlignLeft, tw.AlignLeft, tw.AlignLeft, tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignLeft})
		for _, s := range statuses {
			for _, v := range c.Verdicts {
				if v.Status != s {
					continue
				}
				base, new := v.Figures()
				detail := v.Detail
				if detail == new { // an absolute bound's detail is NEW's figure
					detail = ""
				}
				if err := t.Append(markdownCells(verdictMark[s], "`"+v.Check+"`", v.Key, v.Bound(), base, new, detail)); err != nil {
					return err
				}
			}
		}
		return t.Render()
	}
	if c.count(VerdictFailed)+c.count(VerdictSkipped) > 0 {
		if err := table(VerdictFailed, VerdictSkipped); err != nil {
			return err
		}
	}
	n := c.count(VerdictPassed)
	if n == 0 {
		return nil
	}
	if _, err := fmt.Fprintf(w, "\n<details><summary>%d %s passed</summary>\n\n", n, Plural(n, "check")); err != nil {
		return err
	}
	if err := table(VerdictPassed); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n</details>\n")
	return err
}

// verdictMark marks a verdict in the summary.
var verdictMark = map[Status]string{VerdictFailed: "❌ failed", VerdictSkipped: "⏭️ skipped", VerdictPassed: "✅ passed"}

// writeChanges writes a row per run key both sides have and a column per
// compared figure: "512.0 → 601.3 (+17.4 %)", the change in bold when a
// test found it significant, "~" after it when a test found it noise.
func (c Comparison) writeChanges(w io.Writer) error {
	headers := []string{"run"}
	aligns := []tw.Align{tw.AlignLeft}
	for _, m := range c.metrics {
		headers = append(headers, m.Header)
		aligns = append(aligns, tw.AlignRight)
	}
	t := markdownTable(w, headers, aligns)
	tested := false
	for _, r := range c.Rows {
		if r.Only != "" {
			continue
		}
		row := []string{r.Key}
		for i, m := range c.metrics {
			ch := r.Changes[i]
			change := formatChange(ch.Percent)
			switch {
			case ch.Tested && ch.Significant:
				change = "**" + change + "** " + formatP(ch.P)
			case ch.Tested:
				change += " ~"
			}
			tested = tested || ch.Tested
			row = append(row, fmt.Sprintf("%s → %s (%s)", formatFigure(m, ch.Base), formatFigure(m, ch.New), change))
		}
		if err := t.Append(markdownCells(row...)); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	legend := fmt.Sprintf("\nBASE → NEW (change). With %d or more runs a side a Mann-Whitney U test decides: "+
		"**bold** is significant (p < %g), ~ is noise.", MinSamples, c.Alpha)
	if !tested {
		legend = fmt.Sprintf("\nBASE → NEW (change). Not tested: fewer than %d runs a side (rlbench bench --count %d), "+
			"so no change can be told from noise.", MinSamples, MinSamples)
	}
	_, err := fmt.Fprintln(w, legend)
	return err
}

// markdownTable is a GitHub Markdown table with its columns aligned.
func markdownTable(w io.Writer, headers []string, aligns []tw.Align) *tablewriter.Table {
	t := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewMarkdown()),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignmentConfig(tw.CellAlignment{PerColumn: aligns}),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: aligns}),
	)
	t.Header(headers)
	return t
}

// markdownCells escapes the pipes that would end a cell.
func markdownCells(cells ...string) []string {
	for i, c := range cells {
		cells[i] = strings.ReplaceAll(c, "|", `\|`)
	}
	return cells
}
