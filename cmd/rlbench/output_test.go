package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestMainOutputUnwritable: an -o that cannot be written is refused before
// the run (exit 2, one line naming it), and one that fails at the end still
// prints the table first and keeps the results in a file the error names.
func TestMainOutputUnwritable(t *testing.T) {
	dir := t.TempDir()
	full := filepath.Join(dir, "full")
	if err := syscall.Mknod(full, syscall.S_IFCHR|0o666, 1<<8|7); err != nil {
		full = ""
	}
	tests := []struct {
		name  string
		args  []string
		code  int
		want  string
		table bool
	}{
		{"missing folder", []string{"run", "-o", filepath.Join(dir, "missing", "r.json")}, 2, "no such directory", false},
		{"a directory", []string{"run", "-o", dir}, 2, "is a directory", false},
		{"bench missing parent", []string{"bench", "--algo", "fixed", "--workload", "steady", "--duration", "50ms", "-o", filepath.Join(dir, "missing", "out")}, 2, "no such directory", false},
		{"full disk", []string{"run", "--algo", "fixed", "--requests", "20", "-o", full}, 1, "the results are kept in ", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "full disk" && full == "" {
				t.Skip("cannot make a /dev/full node here")
			}
			io, out, errOut := newTestIO(nil, tt.args...)
			if code := Main(io); code != tt.code {
				t.Errorf("exit %d, want %d; stderr %q", code, tt.code, errOut)
			}
			msg := errOut.String()
			if !strings.Contains(msg, tt.want) || strings.Count(msg, "\n") != 1 {
				t.Errorf("stderr %q, want one line saying %q", msg, tt.want)
			}
			if got := strings.Contains(out.String(), "│ fixed"); got != tt.table {
				t.Errorf("table printed %v, want %v:\n%s", got, tt.table, out)
			}
			if _, kept, ok := strings.Cut(msg, "kept in "); ok {
				kept = strings.TrimSpace(kept)
				if fi, err := os.Stat(kept); err != nil || fi.Size() == 0 {
					t.Errorf("fallback %s: %v", kept, err)
				}
				os.Remove(kept)
			}
		})
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != "full" {
			t.Errorf("left %s behind", e.Name())
		}
	}
}
