package report

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

// WriteOutput writes data to path as rlbench writes every file it makes.
// A symbolic link is followed and its target written (a dangling link's
// target is created), so the link stays a link. A device or FIFO that
// already exists is written in place, never replaced: -o /dev/null stays
// /dev/null, and /dev/full's ENOSPC is returned. A directory or a socket is
// refused. A regular file is written atomically (a temporary file in the
// same directory, fsync, rename), keeping an existing file's mode and, best
// effort, its owner; a new file gets 0666 less the umask, as the OS gives it.
func WriteOutput(path string, data []byte) error {
	target, err := resolveLinks(path)
	if err != nil {
		return err
	}
	fi, err := os.Stat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return writeAtomic(target, data, nil)
	case err != nil:
		return err
	case fi.IsDir():
		return fmt.Errorf("%s is a directory", path)
	case fi.Mode()&fs.ModeSocket != 0:
		return fmt.Errorf("%s is a socket", path)
	case !fi.Mode().IsRegular():
		return writeInPlace(target, data)
	}
	return writeAtomic(target, data, fi)
}

// resolveLinks follows symbolic links from path to the file they name,
// which need not exist.
func resolveLinks(path string) (string, error) {
	for range 40 {
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			return path, nil
		}
		link, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(link) {
			link = filepath.Join(filepath.Dir(path), link)
		}
		path = link
	}
	return "", fmt.Errorf("%s: too many levels of symbolic links", path)
}

// writeInPlace writes to a device or FIFO that exists: opened for writing
// (truncated where that means anything), never created or renamed.
func writeInPlace(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeAtomic replaces or creates the regular file path; old is its
// FileInfo when it exists.
func writeAtomic(path string, data []byte, old fs.FileInfo) (err error) {
	dir := filepath.Dir(path)
	// Created with 0666 so that the OS applies the umask to a new file.
	tmp, err := createTemp(dir, "."+filepath.Base(path)+".tmp-", 0o666)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if old != nil {
		if err := tmp.Chmod(old.Mode().Perm()); err != nil {
			return err
		}
		keepOwner(tmp, old)
	}
	// Sync before rename: otherwise a crash can leave the new name pointing
	// at a file whose data never reached the disk.
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// createTemp is os.CreateTemp with the mode given, before the umask.
func createTemp(dir, prefix string, perm fs.FileMode) (*os.File, error) {
	for range 100 {
		name := filepath.Join(dir, prefix+strconv.FormatUint(rand.Uint64(), 36))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, fmt.Errorf("no free temporary name in %s", dir)
}

// CheckOutput says, before a run starts, whether WriteOutput could write
// path: its folder exists and takes new files, and it is not a directory or
// a socket. A device or FIFO is accepted as it is. Nothing is left behind.
func CheckOutput(path string) error {
	target, err := resolveLinks(path)
	if err != nil {
		return err
	}
	fi, err := os.Stat(target)
	switch {
	case err == nil && fi.IsDir():
		return fmt.Errorf("%s is a directory", path)
	case err == nil && fi.Mode()&fs.ModeSocket != 0:
		return fmt.Errorf("%s is a socket", path)
	case err == nil && !fi.Mode().IsRegular():
		return nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: %w", path, unwrapPath(err))
	}
	dir := filepath.Dir(target)
	di, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: no such directory %s", path, dir)
	case err != nil:
		return fmt.Errorf("%s: %w", path, unwrapPath(err))
	case !di.IsDir():
		return fmt.Errorf("%s: %s is not a directory", path, dir)
	}
	tmp, err := createTemp(dir, "."+filepath.Base(target)+".check-", 0o600)
	if err != nil {
		return fmt.Errorf("%s: cannot create files in %s: %w", path, dir, unwrapPath(err))
	}
	tmp.Close()
	os.Remove(tmp.Name())
	return nil
}

// unwrapPath drops a PathError's own path, which the caller names.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// OutputFile is a file being written bit by bit, as WriteOutput writes a whole
// one: a regular file goes to a temporary file that Commit renames over
// path, a device or FIFO is written in place, never replaced. Abort
// (after a failure) leaves any previous file whole. Not safe for
// concurrent use.
type OutputFile struct {
	f      *os.File
	target string
	old    fs.FileInfo
	atomic bool
}

// CreateOutput opens path for writing as WriteOutput would; write to the
// OutputFile, then Commit it, or Abort it.
func CreateOutput(path string) (*OutputFile, error) {
	target, err := resolveLinks(path)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		fi = nil
	case err != nil:
		return nil, err
	case fi.IsDir():
		return nil, fmt.Errorf("%s is a directory", path)
	case fi.Mode()&fs.ModeSocket != 0:
		return nil, fmt.Errorf("%s is a socket", path)
	case !fi.Mode().IsRegular():
		f, err := os.OpenFile(target, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			return nil, err
		}
		return &OutputFile{f: f, target: target}, nil
	}
	tmp, err := createTemp(filepath.Dir(target), "."+filepath.Base(target)+".tmp-", 0o666)
	if err != nil {
		return nil, err
	}
	return &OutputFile{f: tmp, target: target, old: fi, atomic: true}, nil
}

// Write writes to the file.
func (o *OutputFile) Write(p []byte) (int, error) { return o.f.Write(p) }

// Commit finishes the file: a regular one is synced and renamed over path.
func (o *OutputFile) Commit() (err error) {
	if !o.atomic {
		return o.f.Close()
	}
	defer func() {
		if err != nil {
			o.Abort()
		}
	}()
	if o.old != nil {
		if err := o.f.Chmod(o.old.Mode().Perm()); err != nil {
			return err
		}
		keepOwner(o.f, o.old)
	}
	if err := o.f.Sync(); err != nil {
		return err
	}
	if err := o.f.Close(); err != nil {
		return err
	}
	if err := os.Rename(o.f.Name(), o.target); err != nil {
		return err
	}
	syncDir(filepath.Dir(o.target))
	return nil
}

// Abort gives up: the temporary file is removed, a device closed.
func (o *OutputFile) Abort() {
	o.f.Close()
	if o.atomic {
		os.Remove(o.f.Name())
	}
}
