package report

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// minimalFile is a results file small enough to compare as bytes.
func minimalFile() *File {
	return &File{EndReason: EndCompleted, Runs: []Run{{Algorithm: "fixed", Workload: "steady"}}}
}

func encoded(t *testing.T, f *File) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Encode(&b, f); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// charDevice makes a copy of Linux's /dev/null (minor 3) or /dev/full
// (minor 7) in a temporary folder, so that a WriteFile that replaced it
// could not harm the real one; it skips where mknod is not allowed.
func charDevice(t *testing.T, minor int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "dev"+strconv.Itoa(minor))
	if err := syscall.Mknod(path, syscall.S_IFCHR|0o666, 1<<8|minor); err != nil {
		t.Skipf("cannot make a character device here: %v", err)
	}
	return path
}

func isCharDevice(path string) bool {
	fi, err := os.Lstat(path)
	return err == nil && fi.Mode()&fs.ModeCharDevice != 0
}

func TestWriteFileDevNull(t *testing.T) {
	null := charDevice(t, 3)
	if err := WriteFile(null, minimalFile()); err != nil {
		t.Fatalf("WriteFile(null device): %v", err)
	}
	if !isCharDevice(null) {
		t.Fatalf("the null device was replaced by a file")
	}
}

func TestWriteFileDevFull(t *testing.T) {
	full := charDevice(t, 7)
	err := WriteFile(full, minimalFile())
	if !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("WriteFile(full device) = %v, want ENOSPC", err)
	}
	if !isCharDevice(full) {
		t.Fatalf("the full device was replaced by a file")
	}
}

func TestWriteFileFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	got := make(chan []byte, 1)
	go func() {
		r, err := os.Open(path)
		if err != nil {
			got <- nil
			return
		}
		defer r.Close()
		data, _ := io.ReadAll(r)
		got <- data
	}()
	f := minimalFile()
	if err := WriteFile(path, f); err != nil {
		t.Fatalf("WriteFile(fifo): %v", err)
	}
	// Checked first: a replaced FIFO leaves its reader blocked for ever.
	if fi, err := os.Lstat(path); err != nil || fi.Mode()&fs.ModeNamedPipe == 0 {
		t.Fatalf("the FIFO was replaced: mode %v, %v", fi.Mode(), err)
	}
	if data := <-got; !bytes.Equal(data, encoded(t, f)) {
		t.Errorf("the FIFO's reader got %q, want the results file", data)
	}
	if fi, err := os.Lstat(path); err != nil || fi.Mode()&fs.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: mode %v, %v", fi.Mode(), err)
	}
}

func TestWriteFileSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.json")
	if err := os.WriteFile(target, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink("real.json", link); err != nil {
		t.Fatal(err)
	}
	f := minimalFile()
	if err := WriteFile(link, f); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("the link was replaced: mode %v, %v", fi.Mode(), err)
	}
	if data, err := os.ReadFile(target); err != nil || !bytes.Equal(data, encoded(t, f)) {
		t.Errorf("the link's target holds %q, %v; want the results file", data, err)
	}

	// A dangling link's target is created.
	dangling := filepath.Join(dir, "dangling.json")
	if err := os.Symlink("new.json", dangling); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(dangling, f); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(dangling); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("the dangling link was replaced: mode %v, %v", fi.Mode(), err)
	}
	if data, err := os.ReadFile(filepath.Join(dir, "new.json")); err != nil || !bytes.Equal(data, encoded(t, f)) {
		t.Errorf("the dangling link's target holds %q, %v; want the results file", data, err)
	}
}

func TestWriteFileKeepsMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret.json")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, minimalFile()); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, %v; want the old 0600 kept", fi.Mode(), err)
	}
}

func TestWriteFileDirectory(t *testing.T) {
	dir := t.TempDir()
	err := WriteFile(dir, minimalFile())
	if err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("WriteFile(dir) = %v, want an error saying it is a directory", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Errorf("left %d entries behind in the directory", len(entries))
	}
}

// TestWriteFileUmask is not parallel: the umask belongs to the process.
func TestWriteFileUmask(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	path := filepath.Join(t.TempDir(), "new.json")
	if err := WriteFile(path, minimalFile()); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, %v under umask 077; want 0600", fi.Mode(), err)
	}
}
func TestCheckOutput(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "s.sock")
	if l, err := net.Listen("unix", sock); err == nil {
		defer l.Close()
	}
	tests := []struct {
		name, path, want string
	}{
		{"new file", filepath.Join(dir, "new.json"), ""},
		{"missing folder", filepath.Join(dir, "missing", "r.json"), "no such directory"},
		{"file as folder", filepath.Join(dir, "new.json", "r.json"), "not a directory"},
		{"a directory", dir, "is a directory"},
		{"null device", charDevice(t, 3), ""},
		{"socket", sock, "is a socket"},
	}
	if err := os.WriteFile(filepath.Join(dir, "new.json"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := os.Stat(tt.path); tt.name == "socket" && err != nil {
				t.Skip("no unix socket here")
			}
			err := CheckOutput(tt.path)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("CheckOutput(%s) = %v, want nil", tt.path, err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.path)):
				t.Errorf("CheckOutput(%s) = %v, want an error naming it and saying %q", tt.path, err, tt.want)
			}
		})
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != "new.json" && e.Name() != "s.sock" {
			t.Errorf("CheckOutput left %s behind", e.Name())
		}
	}
}
