package report

import (
	"encoding/csv"
	"io"
)

// CSV is one row per run with every InCSV metric unrounded, by name, for
// spreadsheets and scripts. Several files make one table:
// one header, then the runs of each file in turn.
var CSV = Format{
	Name:        "csv",
	Description: "one row per run, every figure unrounded, for spreadsheets; one header for all files",
	Render:      renderCSV,
}

func renderCSV(w io.Writer, files ...*File) error {
	cw := csv.NewWriter(w)
	cols := MetricsIn(InCSV)
	row := make([]string, len(cols))
	for i, m := range cols {
		row[i] = m.Name
	}
	if err := cw.Write(row); err != nil {
		return err
	}
	for _, f := range files {
		for i := range f.Runs {
			for j, m := range cols {
				row[j] = m.Text(&f.Runs[i])
			}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}
