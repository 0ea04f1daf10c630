package target

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/algorithms"
)

// redisError is an error reply from Redis, as go-redis types it.
type redisError string

func (e redisError) Error() string { return string(e) }
func (redisError) RedisError()     {}

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"deadline", context.DeadlineExceeded, ClassTimeout},
		{"wrapped deadline", fmt.Errorf("fixed: %w", context.DeadlineExceeded), ClassTimeout},
		{"socket deadline", &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}, ClassTimeout},
		{"refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, ClassConnection},
		{"bare refused", syscall.ECONNREFUSED, ClassConnection},
		{"reset", fmt.Errorf("x: %w", syscall.ECONNRESET), ClassConnection},
		{"eof", io.EOF, ClassConnection},
		{"closed client", redis.ErrClosed, ClassConnection},
		{"pool timeout", redis.ErrPoolTimeout, ClassConnection},
		{"pool exhausted", redis.ErrPoolExhausted, ClassConnection},
		{"script error", fmt.Errorf("sliding: %w", redisError("ERR user_script:3: attempt to compare nil")), ClassScript},
		{"noscript", redis.ErrNoScript, ClassScript},
		{"wrongtype", redisError("WRONGTYPE Operation against a key holding the wrong kind of value"), ClassScript},
		{"bad reply", fmt.Errorf("gcra: %w: want 4 integers", algorithms.ErrBadReply), ClassScript},
		{"loading", redisError("LOADING Redis is loading"), ClassOther},
		{"cluster down", redisError("CLUSTERDOWN The cluster is down"), ClassTopology},
		{"moved", fmt.Errorf("fixed: %w", redisError("MOVED 3999 127.0.0.1:6381")), ClassTopology},
		{"read only", redisError("READONLY You can't write against a read only replica."), ClassTopology},
		{"master down", redisError("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."), ClassTopology},
		{"try again", redisError("TRYAGAIN Multiple keys request during rehashing of slot"), ClassTopology},
		{"cancelled", context.Canceled, ClassOther},
		{"anything", errors.New("boom"), ClassOther},
	}
	for _, tt := range tests {
		if got := Classify(tt.err); got != tt.want {
			t.Errorf("%s: Classify(%v) = %q, want %q", tt.name, tt.err, got, tt.want)
		}
	}
}

// TestClassifyLive checks the classes of errors a real client returns.
func TestClassifyLive(t *testing.T) {
	m := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: m.Addr(), MaxRetries: -1, DialerRetries: 1})
	defer c.Close()
	ctx := t.Context()
	if err := c.Set(ctx, "s", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Eval(ctx, "return redis.call('ZCARD', KEYS[1])", []string{"s"}).Err(); Classify(err) != ClassScript {
		t.Errorf("ZCARD on a string: %v is %q, want script", err, Classify(err))
	}
	if err := c.Eval(ctx, "this is not lua", nil).Err(); Classify(err) != ClassScript {
		t.Errorf("bad Lua: %v is %q, want script", err, Classify(err))
	}
	m.Close()
	if err := c.Ping(ctx).Err(); Classify(err) != ClassConnection {
		t.Errorf("server gone: %v is %q, want connection", err, Classify(err))
	}
}

// TestRunRealRedis runs the storm on a real redis-server, on its clock.
func TestIsUnknown(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"deadline", fmt.Errorf("read: %w", context.DeadlineExceeded), true},
		{"reset after send", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, true},
		{"eof", io.EOF, true},
		{"dial refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, false},
		{"dial timeout", &net.OpError{Op: "dial", Net: "tcp", Err: os.ErrDeadlineExceeded}, false},
		{"pool timeout", redis.ErrPoolTimeout, false},
		{"pool exhausted", redis.ErrPoolExhausted, false},
		{"client closed", redis.ErrClosed, false},
		{"noscript", redisError("NOSCRIPT No matching script"), false},
		{"bad reply", algorithms.ErrBadReply, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsUnknown(tt.err); got != tt.want {
				t.Errorf("IsUnknown(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}
