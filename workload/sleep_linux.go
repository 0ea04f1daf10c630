package workload

import (
	"syscall"
	"time"
	"unsafe"
)

// sleepsPrecisely: Linux has preciseSleep.
const sleepsPrecisely = true

// prSetTimerSlack is prctl's PR_SET_TIMERSLACK.
const prSetTimerSlack = 29

// preciseSleep blocks the calling thread for about d, to within
// microseconds where Go's timers may wake a millisecond late: a nanosleep
// with the thread's timer slack (50 µs by default) cut to 1 ns. The thread
// sleeps instead of spinning, so that its CPU goes to Redis and to the
// workers, and the kernel, seeing a thread that mostly sleeps, runs it
// again at once when it wakes. The slack stays cut on the Go runtime's
// thread it ran on, which only makes that thread's timed waits more exact.
func preciseSleep(d time.Duration) {
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, 1, 0)
	ts := syscall.NsecToTimespec(int64(d))
	_, _, _ = syscall.Syscall(syscall.SYS_NANOSLEEP, uintptr(unsafe.Pointer(&ts)), 0, 0)
}
