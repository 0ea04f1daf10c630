package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rlbench/rlbench/report"
	"github.com/rlbench/rlbench/report/formats"
)

// ReportOptions is what "rlbench report" was asked to do.
type ReportOptions struct {
	IO     IO
	Global *GlobalOptions
	// Files are the results files to render.
	Files []string
	// Output, when set, receives the rendering instead of stdout.
	Output string
}

// NewCmdReport builds "rlbench report" and its "merge" subcommand.
func NewCmdReport(io IO, global *GlobalOptions) *cobra.Command {
	opts := &ReportOptions{IO: io, Global: global}
	cmd := &cobra.Command{
		Use:         "report FILE...",
		Annotations: map[string]string{usesGlobals: "format"},
		Short:       "Render saved results: " + strings.Join(formats.Names(), ", "),
		Long: `Report renders results files written by "rlbench run -o" or "rlbench bench -o"
in the --format you choose:

` + formatList() + `
A bench's results.json renders as the report.md and report.html that -o wrote.`,
		Example: `  rlbench report results.json
  rlbench report --format html results.json -o report.html
  rlbench report --format benchfmt base.json > base.txt   # for benchstat`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Files = args
			return runReport(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "write to `FILE` instead of stdout")
	cmd.AddCommand(newCmdMerge(io))
	return cmd
}

// readResults reads every file; a missing, malformed or unknown-version
// file is bad input.
func readResults(paths []string) ([]*report.File, error) {
	var files []*report.File
	for _, p := range paths {
		f, err := report.ReadFile(p)
		if err != nil {
			return nil, usageError{err}
		}
		files = append(files, f)
	}
	return files, nil
}

func runReport(opts *ReportOptions) error {
	if opts.Output != "" {
		if err := report.CheckOutput(opts.Output); err != nil {
			return usageErrorf("cannot write -o %v", err)
		}
	}
	files, err := readResults(opts.Files)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	err = formats.Render(&b, opts.Global.Format, files...)
	if errors.Is(err, report.ErrOneFile) {
		return usageErrorf("--format %v", err)
	}
	if err != nil {
		return err
	}
	return writeOutput(opts.IO.Out, opts.Output, b.Bytes())
}

// formatList is one line per format for help: its name and what it is.
func formatList() string {
	var b strings.Builder
	for _, f := range formats.All() {
		fmt.Fprintf(&b, "  %-9s %s\n", f.Name, f.Description)
	}
	return b.String()
}

// writeOutput writes data to path, or to w when path is empty.
func writeOutput(w io.Writer, path string, data []byte) error {
	if path == "" {
		_, err := w.Write(data)
		return err
	}
	if err := report.WriteOutput(path, data); err != nil {
		return fmt.Errorf("writing -o %s: %w", path, err)
	}
	return nil
}

// usageArgs makes a cobra argument check's error a usage error (exit 2),
// with the command's usage line to say what is accepted.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usageErrorf("%v: usage: %s", err, cmd.UseLine())
		}
		return nil
	}
}
