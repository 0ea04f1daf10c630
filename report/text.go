package report

import "github.com/olekukonko/tablewriter/tw"

// The words every rendering of a results file shares, for formats that
// live outside this package (report/html): the summary line, the runs
// table and the notes, exactly as Table and Markdown write them.

// Summary is the one line above the runs: what ran against what, the
// seed, and how it ended.
func Summary(f *File) string { return summary(f) }

// Notes are the lines below the runs that a reader must not miss: runs
// that did not finish, a generator that fell behind, runs over their
// bound, errors by class.
func Notes(f *File) []string { return notes(f) }

// Cell is one cell of the runs table; Figure cells are aligned right.
type Cell struct {
	Text   string
	Figure bool
}

// RunsTable is the table of runs that Table and Markdown draw: its header
// and one row per run, with the limit and the repetition among the
// columns when runs differ in those.
func RunsTable(runs []Run) (header []Cell, rows [][]Cell) {
	cols := runColumns(runs)
	header = make([]Cell, len(cols))
	for i, c := range cols {
		header[i] = Cell{c.header, c.align == tw.AlignRight}
	}
	rows = make([][]Cell, len(runs))
	for i := range runs {
		rows[i] = make([]Cell, len(cols))
		for j, c := range cols {
			rows[i][j] = Cell{c.cell(&runs[i]), c.align == tw.AlignRight}
		}
	}
	return header, rows
}

// Duration writes microseconds in the largest whole unit, as the command
// line writes a window: "250ms", "10m", "1500µs".
func Duration(us int64) string { return window(us) }
