package main

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionOf(t *testing.T) {
	vcs := func(rev, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	tests := []struct {
		name    string
		stamped string
		info    *debug.BuildInfo
		want    string
	}{
		{"ldflags win", "v1.4.0-3-gabc1234-dirty", &debug.BuildInfo{Main: debug.Module{Version: "v1.3.0"}}, "v1.4.0-3-gabc1234-dirty"},
		{"go install @version", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.3.0"}}, "v1.3.0"},
		{"pseudo-version from git", "", &debug.BuildInfo{
			Main:     debug.Module{Version: "v0.0.0-20261126120000-0123456789ab+dirty"},
			Settings: vcs("0123456789abcdef0123456789abcdef01234567", "true"),
		}, "v0.0.0-20261126120000-0123456789ab+dirty"},
		{"devel with a revision", "", &debug.BuildInfo{
			Main:     debug.Module{Version: "(devel)"},
			Settings: vcs("0123456789abcdef0123456789abcdef01234567", "false"),
		}, "(devel) 0123456789ab"},
		{"devel, modified", "", &debug.BuildInfo{
			Main:     debug.Module{Version: "(devel)"},
			Settings: vcs("0123456789abcdef0123456789abcdef01234567", "true"),
		}, "(devel) 0123456789ab-dirty"},
		{"nothing recorded", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "(devel)"},
		{"no build information", "", nil, "(devel)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := versionOf(tt.stamped, tt.info); got != tt.want {
				t.Errorf("versionOf(%q, …) = %q, want %q", tt.stamped, got, tt.want)
			}
		})
	}
}

// buildRlbench builds the command into a temporary folder with extra go
// build arguments and returns the binary's path.
func buildRlbench(t *testing.T, args ...string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary: not with -short")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go tool: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "rlbench")
	build := exec.Command(goTool, append(append([]string{"build", "-o", bin}, args...), ".")...)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build %v: %v\n%s", args, err, out)
	}
	return bin
}

// TestVersionLdflags builds rlbench as "make build" does and runs it: the
// stamped version is what "rlbench version" prints, and what results record.
func TestVersionLdflags(t *testing.T) {
	bin := buildRlbench(t, "-ldflags", "-X main.version=v9.8.7-test")
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := "rlbench v9.8.7-test " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + "\n"
	if string(out) != want {
		t.Errorf("version printed %q, want %q", out, want)
	}
}

// TestVersionDefault builds rlbench without -ldflags: it prints what the
// binary's own build information says, as "go version -m" reads it.
func TestVersionDefault(t *testing.T) {
	bin := buildRlbench(t)
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	info, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	mod, rev, dirty := "", "", false
	for _, line := range strings.Split(string(info), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 3 && f[0] == "mod":
			mod = f[2]
		case len(f) == 2 && f[0] == "build" && strings.HasPrefix(f[1], "vcs.revision="):
			rev = strings.TrimPrefix(f[1], "vcs.revision=")
		case len(f) == 2 && f[0] == "build" && f[1] == "vcs.modified=true":
			dirty = true
		}
	}
	want := mod
	if mod == "(devel)" && rev != "" {
		want += " " + rev[:12]
		if dirty {
			want += "-dirty"
		}
	}
	want = "rlbench " + want + " " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + "\n"
	if mod == "" || string(out) != want {
		t.Errorf("version printed %q, want %q from go version -m:\n%s", out, want, info)
	}
}
