// Package perf tests what scripts/perf.sh builds: its library-path program
// (_libpath) is outside the main module's packages, so that redis_rate
// stays out of rlbench's go.mod, and would otherwise break unnoticed
// until the next make perf.
package perf

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestLibpathBuilds vets _libpath/main.go against the checkout's packages,
// in a throwaway module that replaces github.com/rlbench/rlbench with the
// checkout, as perf.sh does. redisrate.go is left out: it needs
// redis_rate from the module proxy, and uses none of rlbench's API.
func TestLibpathBuilds(t *testing.T) {
	gocmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build _libpath: %v", err)
	}
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	main, err := os.ReadFile(filepath.Join("_libpath", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(repo, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	mod := "module perflibpath\n\nrequire github.com/rlbench/rlbench v0.0.0\n\nreplace github.com/rlbench/rlbench => " + repo + "\n"
	for name, data := range map[string][]byte{"main.go": main, "go.sum": sum, "go.mod": []byte(mod)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"mod", "tidy"}, {"vet", "."}} {
		cmd := exec.Command(gocmd, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %v in a module with main.go of _libpath: %v\n%s", args, err, out)
		}
	}
}
