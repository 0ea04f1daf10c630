package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --cpuprofile writes a pprof profile: gzipped protobuf that names the
// functions sampled.
func TestCPUProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.pprof")
	io_, _, errOut := newTestIO(nil, "-q", "run", "--algo", "fixed", "--requests", "3000", "--concurrency", "4", "--timeout", "30s", "--cpuprofile", path)
	if code := Main(io_); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("profile is not gzip: %v", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("profile: %v", err)
	}
	// The string table of a Go profile names the sample types.
	if !bytes.Contains(raw, []byte("cpu")) || !bytes.Contains(raw, []byte("nanoseconds")) {
		t.Errorf("profile holds no cpu/nanoseconds sample type (%d bytes)", len(raw))
	}
}

func TestCPUProfileBadPath(t *testing.T) {
	dir := t.TempDir()
	io_, _, errOut := newTestIO(nil, "run", "--algo", "fixed", "--requests", "5", "--cpuprofile", dir)
	if code := Main(io_); code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	if msg := errOut.String(); !strings.HasPrefix(msg, "rlbench: cannot write --cpuprofile ") || strings.Count(msg, "\n") != 1 {
		t.Errorf("stderr %q, want one line refusing the directory", msg)
	}
}
