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
