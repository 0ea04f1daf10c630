package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is rlbench's version as the build stamps it:
//
//	go build -ldflags "-X main.version=v1.2.3" ./cmd/rlbench
//
// "make build" stamps the output of git describe. Left empty, the version
// comes from the build information Go records (toolVersion).
var version string

// NewCmdVersion builds "rlbench version".
func NewCmdVersion(io IO) *cobra.Command {
	return &cobra.Command{
		Use:         "version",
		Annotations: map[string]string{usesGlobals: ""},
		Short:       "Print rlbench's version, Go version and platform",
		Args:        noArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintf(io.Out, "rlbench %s %s %s/%s\n", toolVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return err
		},
	}
}

// toolVersion is rlbench's version: the one stamped with -ldflags, else
// what the binary's build information says.
func toolVersion() string {
	info, _ := debug.ReadBuildInfo()
	return versionOf(version, info)
}

// versionOf is stamped when a build stamped a version. Otherwise it is the
// module version Go recorded: v1.2.3 under "go install ...@v1.2.3", or a
// pseudo-version such as v0.0.0-20261126120000-0123456789ab+dirty that a
// build in a git checkout gets. A build that recorded neither (-buildvcs=false,
// go run) is "(devel)", with the VCS revision when one was recorded.
func versionOf(stamped string, info *debug.BuildInfo) string {
	if stamped != "" {
		return stamped
	}
	v, rev, dirty := "(devel)", "", false
	if info != nil {
		if info.Main.Version != "" && info.Main.Version != "(devel)" {
			return info.Main.Version
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
	return v
}
