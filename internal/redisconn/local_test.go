package redisconn

import (
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/rlbench/rlbench/internal/redisserver"
	"github.com/rlbench/rlbench/internal/redistest"
)

func TestOpenLocal(t *testing.T) {
	redistest.RequireBinary(t)
	tgt, err := Open(t.Context(), Local, Options{PoolSize: 2})
	if err != nil {
		t.Fatalf("Open(local): %v", err)
	}
	if tgt.Kind != KindRedis || tgt.Local == nil || tgt.Address != tgt.Local.Addr {
		t.Fatalf("Open(local) = kind %q, address %q, local %v; want a redis target at the server it started", tgt.Kind, tgt.Address, tgt.Local)
	}
	if tgt.ServerVersion != tgt.Local.Version || tgt.ServerVersion == "unknown" {
		t.Errorf("ServerVersion = %q, want the started server's %q", tgt.ServerVersion, tgt.Local.Version)
	}
	info, err := tgt.Client.Info(t.Context(), "persistence").Result()
	if err != nil {
		t.Fatalf("INFO persistence: %v", err)
	}
	if f := redisserver.ParseInfo(info); f["aof_enabled"] != "0" {
		t.Errorf("aof_enabled = %q, want 0: persistence off", f["aof_enabled"])
	}
	save, err := tgt.Client.ConfigGet(t.Context(), "save").Result()
	if err != nil || save["save"] != "" {
		t.Errorf("CONFIG GET save = %v, %v; want \"\": no RDB snapshots", save, err)
	}
	pid, dir := tgt.Local.Pid, tgt.Local.Dir
	if err := tgt.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	// Gone once Close returns: no process, no directory.
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("redis-server %d still there after Close (kill 0: %v)", pid, err)
	}
	if entries, err := osReadDir(dir); err == nil {
		t.Errorf("%s still holds %v after Close", dir, entries)
	}
}

func TestOpenLocalWithoutBinary(t *testing.T) {
	t.Setenv(redisserver.BinaryEnv, "/nonexistent/redis-server")
	_, err := Open(t.Context(), Local, Options{})
	if !errors.Is(err, redisserver.ErrNoBinary) {
		t.Fatalf("Open(local) error = %v, want ErrNoBinary", err)
	}
	for _, want := range []string{"--redis local", "apt-get install redis-server"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// osReadDir lists dir's entries by name.
func osReadDir(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names, err
}
