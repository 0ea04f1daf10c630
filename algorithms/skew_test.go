package algorithms_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/internal/redistest"
)

// TestClientClockSkewKeepsTheBound is two load generators whose clocks are
// 300 ms apart: the first uses up the allowance at a stamp 5 ms before a
// window's end, the second asks at the same stamp by its own clock, 300 ms
// later by the server's. TTLs counted from the first client's stamp let the
// key expire before the second arrived, and every algorithm admitted its
// limit twice at one instant; the clock-skew allowance pads every TTL.
func TestClientClockSkewKeepsTheBound(t *testing.T) {
	checkClockSkew(t, func(t *testing.T) (*redis.Client, func(time.Duration)) {
		m, rdb := startMini(t)
		return rdb, m.FastForward
	})
}

// TestClientClockSkewKeepsTheBoundRedis is the same on a real
// redis-server, whose clock moves by a real 300 ms sleep.
func TestClientClockSkewKeepsTheBoundRedis(t *testing.T) {
	srv := redistest.Start(t)
	checkClockSkew(t, func(t *testing.T) (*redis.Client, func(time.Duration)) {
		return srv.Client(t), time.Sleep
	})
}

func checkClockSkew(t *testing.T, server func(t *testing.T) (*redis.Client, func(time.Duration))) {
	limit := algorithms.Limit{Requests: 10, Window: 100 * time.Millisecond}
	stamp := epoch.Add(time.Second - 5*time.Millisecond)
	for _, name := range algorithms.Names() {
		t.Run(name, func(t *testing.T) {
			rdb, advance := server(t)
			clock := &fakeClock{t: stamp}
			l, err := algorithms.New(name, rdb, algorithms.Options{Clock: clock})
			if err != nil {
				t.Fatal(err)
			}
			first := admitted(ask(t, l, "skew:"+name, limit, 15))
			advance(300 * time.Millisecond)
			second := admitted(ask(t, l, "skew:"+name, limit, 15))
			if first+second > 10 {
				t.Errorf("%d+%d admitted at one instant, limit 10", first, second)
			}
		})
	}
}

// TestNegativeClockSkewAllowanceIsRejected: a negative padding would
// shorten TTLs, so New refuses it, and so does every decision of a limiter
// built directly.
func TestNegativeClockSkewAllowanceIsRejected(t *testing.T) {
	_, rdb := startMini(t)
	opts := algorithms.Options{Clock: &fakeClock{t: epoch}, ClockSkewAllowance: -time.Millisecond}
	for _, name := range algorithms.Names() {
		if _, err := algorithms.New(name, rdb, opts); !errors.Is(err, algorithms.ErrInvalidOptions) {
			t.Errorf("New(%s) with a negative allowance: error %v, want ErrInvalidOptions", name, err)
		}
	}
	l := algorithms.NewFixedWindow(rdb, opts)
	if _, err := l.AllowN(context.Background(), "k", limit10, 1); !errors.Is(err, algorithms.ErrInvalidOptions) {
		t.Errorf("AllowN with a negative allowance: error %v, want ErrInvalidOptions", err)
	}
}
