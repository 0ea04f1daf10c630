package redisserver

import "syscall"

// procAttr puts the server in a process group of its own (a Ctrl-C at the
// terminal reaches rlbench, which stops the server when it is done with
// it, not in mid-run) and has the kernel kill it when rlbench dies without
// stopping it (SIGKILL, a crash): a throwaway server must not outlive the
// process that started it. Linux sends the signal when the thread that
// started the server exits; Go keeps its threads for the life of the
// process unless a goroutine locked to one ends, which rlbench never does.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
