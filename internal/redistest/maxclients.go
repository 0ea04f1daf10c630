package redistest

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// LimitClients sets s's maxclients to n and, when password is not empty,
// its requirepass, and returns a client that already holds one of the n
// places, closed with t.Cleanup. It returns once that client is the only one
// connected, so that exactly n-1 more connections are accepted.
func (s *Server) LimitClients(t testing.TB, n int, password string) *redis.Client {
	t.Helper()
	admin := s.Client(t)
	ctx := t.Context()
	if password != "" {
		if err := admin.ConfigSet(ctx, "requirepass", password).Err(); err != nil {
			t.Fatalf("redistest: CONFIG SET requirepass: %v", err)
		}
	}
	if err := admin.ConfigSet(ctx, "maxclients", strconv.Itoa(n)).Err(); err != nil {
		t.Fatalf("redistest: CONFIG SET maxclients %d: %v", n, err)
	}
	// Start's readiness probe has closed its connection, but the server
	// may not have freed it yet.
	var last string
	for range 500 {
		info, err := admin.Info(ctx, "clients").Result()
		if err != nil {
			t.Fatalf("redistest: INFO clients: %v", err)
		}
		if strings.Contains(info, "connected_clients:1\r\n") {
			return admin
		}
		last = info
		time.Sleep(pollInterval)
	}
	t.Fatalf("redistest: other clients still connected to %s:\n%s", s.Addr, last)
	return nil
}
