package report

import (
	"encoding/csv"
	"io"
)

// CSV is one row per run with every figure unrounded, in the names of
// csvColumns, for spreadsheets and scripts. Several files make one table:
// one header, then the runs of each file in turn.
var CSV = Format{
	Name:        "csv",
	Description: "one row per run, every figure unrounded, for spreadsheets; one header for all files",
	Render:      renderCSV,
}

func renderCSV(w io.Writer, files ...*File) error {
	cw := csv.NewWriter(w)
	row := make([]string, len(csvColumns))
	for i, c := range csvColumns {
		row[i] = c.name
	}
	if err := cw.Write(row); err != nil {
		return err
	}
	for _, f := range files {
		for i := range f.Runs {
			for j, c := range csvColumns {
				row[j] = c.cell(&f.Runs[i])
			}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}
