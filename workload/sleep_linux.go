package workload

import (
	"time"

	"golang.org/x/sys/unix"
)

// sleepsPrecisely: Linux has preciseSleep.
const sleepsPrecisely = true

// preciseSleep blocks the calling thread for about d, to within
// microseconds where Go's timers may wake a millisecond late: a nanosleep
// with the thread's timer slack (50 µs by default) cut to 1 ns. The thread
// sleeps instead of spinning, so that its CPU goes to Redis and to the
// workers, and the kernel, seeing a thread that mostly sleeps, runs it
// again at once when it wakes. The slack stays cut on the Go runtime's
// thread it ran on, which only makes that thread's timed waits more exact.
// A failed call (an interrupted sleep) only ends the sleep early: the
// sender spins the rest.
func preciseSleep(d time.Duration) {
	_ = unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0)
	ts := unix.NsecToTimespec(int64(d))
	_ = unix.Nanosleep(&ts, nil)
}
