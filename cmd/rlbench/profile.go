package main

import (
	"bytes"
	"fmt"
	"runtime/pprof"

	"github.com/rlbench/rlbench/report"
)

// startProfile starts the CPU profile --cpuprofile asks for, of the runs
// alone (not the connection before them); the function it returns stops it
// and writes it to path, as rlbench writes every file, for `go tool pprof`.
// With no path both do nothing.
func startProfile(path string) (stop func() error, err error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	var buf bytes.Buffer
	if err := pprof.StartCPUProfile(&buf); err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() error {
		pprof.StopCPUProfile()
		if err := report.WriteOutput(path, buf.Bytes()); err != nil {
			return fmt.Errorf("cannot write --cpuprofile %s: %w", path, err)
		}
		return nil
	}, nil
}

// checkProfile refuses, before any run, a --cpuprofile that cannot be
// written.
func checkProfile(path string) error {
	if path == "" {
		return nil
	}
	if err := report.CheckOutput(path); err != nil {
		return usageErrorf("cannot write --cpuprofile %v", err)
	}
	return nil
}
