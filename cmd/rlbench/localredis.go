package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rlbench/rlbench/internal/redisserver"
)

// LocalRedisOptions are the flags of "rlbench local-redis".
type LocalRedisOptions struct {
	IO     IO
	Global *GlobalOptions
	// URLFile, when set, also receives the URL: written whole once the
	// server answers, removed when it stops.
	URLFile string
}

// NewCmdLocalRedis builds "rlbench local-redis". runF, when not nil,
// replaces the work, for tests of flag parsing.
func NewCmdLocalRedis(io IO, global *GlobalOptions, runF func(*LocalRedisOptions) error) *cobra.Command {
	opts := &LocalRedisOptions{IO: io, Global: global}
	cmd := &cobra.Command{
		Use:         "local-redis",
		Annotations: map[string]string{usesGlobals: ""},
		Short:       "Start a throwaway redis-server and print its URL, until Ctrl-C",
		Long: `local-redis starts the redis-server that --redis local would (from PATH or
$RLBENCH_REDIS_SERVER, on a free 127.0.0.1 port, persistence off), prints its
URL on one line on stdout, and keeps it running in the foreground until
SIGINT or SIGTERM, when it stops the server and exits 0. It is how scripts
share one server between several commands, rlbench's and others'.`,
		Example: `  rlbench local-redis --url-file /tmp/redis.url &
  rlbench bench --redis "$(cat /tmp/redis.url)"   # once the file exists
  kill %1`,
		Args: noArgs,
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runLocalRedis(opts)
		},
	}
	cmd.Flags().StringVar(&opts.URLFile, "url-file", "", "also write the URL to `file` once the server answers (removed when it stops)")
	return cmd
}

// runLocalRedis starts the server, says where it is, and waits for a
// signal or for the server to die.
func runLocalRedis(o *LocalRedisOptions) error {
	ctx, stop := o.IO.Interrupt(context.Background())
	defer stop()
	s, err := redisserver.Start(ctx, redisserver.Options{})
	if err != nil {
		if ctx.Err() != nil {
			return nil // interrupted while starting: nothing is left running
		}
		return err
	}
	defer s.Stop()
	if o.URLFile != "" {
		if err := writeWhole(o.URLFile, s.URL+"\n"); err != nil {
			return fmt.Errorf("cannot write --url-file: %w", err)
		}
		defer os.Remove(o.URLFile)
	}
	if _, err := fmt.Fprintln(o.IO.Out, s.URL); err != nil {
		return err
	}
	if !o.Global.Quiet {
		fmt.Fprintf(o.IO.Err, "rlbench local-redis: redis-server %s (pid %d) on %s; stop with Ctrl-C or SIGTERM\n", s.Version, s.Pid, s.Addr)
	}
	select {
	case <-ctx.Done():
		return nil
	case <-s.Exited():
		return fmt.Errorf("redis-server (pid %d) on %s exited on its own; its log ends: %s", s.Pid, s.Addr, lastLine(s.Log()))
	}
}

// writeWhole writes content to path through a temporary file renamed into
// place, so that a script polling for path never reads half of it.
func writeWhole(path, content string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".url-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename, there is nothing to remove
	if _, err := tmp.WriteString(content); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// lastLine is the last non-empty line of a log, or "(nothing)".
func lastLine(log string) string {
	lines := strings.Split(strings.TrimSpace(log), "\n")
	if last := strings.TrimSpace(lines[len(lines)-1]); last != "" {
		return last
	}
	return "(nothing)"
}
