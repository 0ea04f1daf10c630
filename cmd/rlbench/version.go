package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// NewCmdVersion builds "rlbench version".
func NewCmdVersion(io IO) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print rlbench's version, Go version and platform",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintln(io.Out, "rlbench "+version())
			return err
		},
	}
}

// version comes from the build itself, so that no release step has to
// stamp it: the module version under "go install ...@v1.2.3", else
// "(devel)" with the VCS revision the binary was built from.
func version() string {
	v, rev, dirty := "(devel)", "", false
	if info, ok := debug.ReadBuildInfo(); ok {
		if info.Main.Version != "" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	if rev != "" {
		v += " " + rev[:min(12, len(rev))]
		if dirty {
			v += "-dirty"
		}
	}
	return fmt.Sprintf("%s %s %s/%s", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
