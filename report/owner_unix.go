//go:build unix

package report

import (
	"io/fs"
	"os"
	"syscall"
)

// keepOwner gives f the owner and group of old, best effort: only root may
// give a file away, and a failure leaves the file the writer's.
func keepOwner(f *os.File, old fs.FileInfo) {
	if st, ok := old.Sys().(*syscall.Stat_t); ok {
		_ = f.Chown(int(st.Uid), int(st.Gid))
	}
}
