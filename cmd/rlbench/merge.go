package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/rlbench/rlbench/report"
)

// MergeOptions is what "rlbench report merge" was asked to do.
type MergeOptions struct {
	IO     IO
	Files  []string
	Output string
}

func newCmdMerge(io IO) *cobra.Command {
	opts := &MergeOptions{IO: io}
	cmd := &cobra.Command{
		Use:         "merge FILE FILE... -o ALL.json",
		Annotations: map[string]string{usesGlobals: ""},
		Short:       "Merge results of several load generators that ran the same configuration",
		Long: `Merge combines results files from load generators that ran the same
configuration at the same time against the same target: counts add, latency
histograms merge exactly, time series align on their timestamps, and accuracy
is recomputed key by key from every generator's admission instants. The merged
file lists the generators (generator_ids) and its report names them.

Refused, with exit code 2: different configurations (--run-id and --start-at
included), one generator's file twice (or two generators given the same
--generator-id), and generators whose runs never overlapped.`,
		Args: usageArgs(cobra.MinimumNArgs(2)),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Files = args
			if opts.Output == "" {
				return usageErrorf("rlbench report merge needs -o FILE for the merged results")
			}
			return runMerge(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "write the merged results to `FILE`")
	return cmd
}

func runMerge(opts *MergeOptions) error {
	if err := report.CheckOutput(opts.Output); err != nil {
		return usageErrorf("cannot write -o %v", err)
	}
	files, err := readResults(opts.Files)
	if err != nil {
		return err
	}
	merged, err := report.Merge(files...)
	// Files that do not belong together, or a file without the histogram
	// a merge needs (one from before service_histogram existed), are bad
	// input like any other: exit code 2.
	if errors.Is(err, report.ErrMergeMismatch) || errors.Is(err, report.ErrBadHistogram) {
		return usageError{err}
	}
	if err != nil {
		return err
	}
	return report.WriteFile(opts.Output, merged)
}
