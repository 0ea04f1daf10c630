package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"github.com/rlbench/rlbench/report"
)

// CIOutputs are the reports compare and bench write for a CI system
// beside what they print: the thresholds' verdicts as JUnit XML, and the
// comparison as a Markdown summary.
type CIOutputs struct {
	// JUnit, when set, is the file the JUnit XML is written to.
	JUnit string
	// Summary, when set, is the file the Markdown summary is written to.
	Summary string
	// StepSummary is $GITHUB_STEP_SUMMARY, which the summary is appended
	// to when Summary is empty: GitHub Actions shows it on the job's page.
	StepSummary string
}

// addCIFlags adds --junit and --summary.
func addCIFlags(f *pflag.FlagSet, o *CIOutputs) {
	f.StringVar(&o.JUnit, "junit", "", "write the thresholds' verdicts as JUnit XML to `FILE`, a test case per threshold and run")
	f.StringVar(&o.Summary, "summary", "", "write a Markdown summary to `FILE` (default: append to $GITHUB_STEP_SUMMARY when set)")
}

// check reads $GITHUB_STEP_SUMMARY, when stepSummary says the command's
// summary belongs there, and checks, before any work, that every file can
// be written.
func (o *CIOutputs) check(io IO, stepSummary bool) error {
	if o.Summary == "" && stepSummary {
		o.StepSummary = io.Getenv("GITHUB_STEP_SUMMARY")
	}
	for _, f := range []struct{ flag, path string }{{"--junit", o.JUnit}, {"--summary", o.Summary}, {"$GITHUB_STEP_SUMMARY", o.StepSummary}} {
		if f.path == "" {
			continue
		}
		if err := report.CheckOutput(f.path); err != nil {
			return usageErrorf("cannot write %s %v", f.flag, err)
		}
	}
	return nil
}

// write writes the JUnit XML and the summary of c, whose NEW is new;
// title names the command in both.
func (o CIOutputs) write(c report.Comparison, title string, new *report.File) error {
	if o.JUnit != "" {
		var b bytes.Buffer
		if err := c.WriteJUnit(&b, title, new.StartedAt); err != nil {
			return err
		}
		if err := report.WriteOutput(o.JUnit, b.Bytes()); err != nil {
			return fmt.Errorf("writing --junit: %w", err)
		}
	}
	if o.Summary == "" && o.StepSummary == "" {
		return nil
	}
	var b bytes.Buffer
	if err := c.WriteSummary(&b, title, new); err != nil {
		return err
	}
	if o.Summary != "" {
		if err := report.WriteOutput(o.Summary, b.Bytes()); err != nil {
			return fmt.Errorf("writing --summary: %w", err)
		}
		return nil
	}
	// Each step of a job appends to its summary file.
	f, err := os.OpenFile(o.StepSummary, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o666)
	if err != nil {
		return fmt.Errorf("writing $GITHUB_STEP_SUMMARY: %w", err)
	}
	_, err = f.Write(b.Bytes())
	return errors.Join(err, f.Close())
}

// parseThresholds reads --threshold values; a bad one is bad usage.
func parseThresholds(exprs []string) ([]report.Threshold, error) {
	var out []report.Threshold
	for _, s := range exprs {
		t, err := report.ParseThreshold(s)
		if err != nil {
			return nil, usageError{err}
		}
		out = append(out, t)
	}
	return out, nil
}

// errThresholds is the failure of one or more thresholds: exit code 1.
var errThresholds = errors.New("thresholds failed")

// thresholdsError is nil when c failed nothing, else errThresholds with
// the count the summary gives: every line of Failed.
func thresholdsError(c report.Comparison) error {
	n, t := len(c.Failed), len(c.Thresholds)
	if n == 0 {
		return nil
	}
	return fmt.Errorf("%w: %d %s of %d %s (see above)", errThresholds,
		n, report.Plural(n, "failure"), t, report.Plural(t, "threshold"))
}
