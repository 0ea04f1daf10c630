//go:build !linux

package redisserver

import "syscall"

// procAttr puts the server in a process group of its own: a Ctrl-C at the
// terminal reaches rlbench, which stops the server when it is done with
// it, not in mid-run.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
