//go:build !linux

package workload

import "time"

// sleepsPrecisely: elsewhere the sender spins for all of SpinWait.
const sleepsPrecisely = false

// preciseSleep is never called where sleepsPrecisely is false.
func preciseSleep(time.Duration) {}
