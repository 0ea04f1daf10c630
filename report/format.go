package report

import (
	"errors"
	"fmt"
	"io"
)

// Format is one way to render results files: the name --format gives it,
// one line for help, and how it writes. Each format is one file (table.go,
// markdown.go, csv.go, json.go, benchfmt.go; the page in report/html) and
// one row of the registry, report/formats.
type Format struct {
	// Name is what --format calls it, such as "markdown".
	Name string
	// Description says in one line what it is for and how it takes
	// several files.
	Description string
	// Render writes files, at least one and none nil, as one document.
	Render func(w io.Writer, files ...*File) error
}

// ErrOneFile means a format that renders exactly one file was given
// several; the wrapping error says how many and what to do instead.
var ErrOneFile = errors.New("renders one file")

// fileByFile is the Render of a format that writes each file on its own,
// one after another with sep between.
func fileByFile(sep string, render func(io.Writer, *File) error) func(io.Writer, ...*File) error {
	return func(w io.Writer, files ...*File) error {
		for i, f := range files {
			if i > 0 {
				if _, err := io.WriteString(w, sep); err != nil {
					return err
				}
			}
			if err := render(w, f); err != nil {
				return err
			}
		}
		return nil
	}
}

// oneFile is the Render of a format that writes exactly one file.
func oneFile(name string, render func(io.Writer, *File) error) func(io.Writer, ...*File) error {
	return func(w io.Writer, files ...*File) error {
		if len(files) != 1 {
			return fmt.Errorf("%s %w, not %d: merge them first with rlbench report merge", name, ErrOneFile, len(files))
		}
		return render(w, files[0])
	}
}
