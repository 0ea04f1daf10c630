package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/redis/go-redis/v9"
	"golang.org/x/term"
)

// IO is everything rlbench takes from and gives to its process, passed in so
// that tests run commands with buffers, a fake environment and a context
// they cancel in place of Ctrl-C.
type IO struct {
	// Args are the command-line arguments, without the program name.
	Args []string
	// Out receives results; Err receives errors, one line each.
	Out, Err io.Writer
	// Getenv reads the environment (REDIS_URL).
	Getenv func(key string) string
	// Interrupt returns a context cancelled by the first SIGINT or SIGTERM,
	// and a stop function that stops listening, so that the next signal
	// kills the process as usual.
	Interrupt func(parent context.Context) (context.Context, context.CancelFunc)
	// ErrIsTerminal reports that Err is a terminal, where a live progress
	// display belongs; never in a pipe, a file or CI's log.
	ErrIsTerminal bool
}

// SystemIO is the IO of the running process. It also silences go-redis's
// own logger, which would print dial failures to stderr behind rlbench's
// back: rlbench reports every error itself, on one line.
func SystemIO() IO {
	redis.SetLogger(discardLogger{})
	return IO{
		Args:   os.Args[1:],
		Out:    os.Stdout,
		Err:    os.Stderr,
		Getenv: os.Getenv,
		Interrupt: func(parent context.Context) (context.Context, context.CancelFunc) {
			return signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
		},
		ErrIsTerminal: term.IsTerminal(int(os.Stderr.Fd())),
	}
}

type discardLogger struct{}

func (discardLogger) Printf(context.Context, string, ...any) {}
