package algorithms

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// TestAllowBatchTypeChecksEveryReply: a script whose replies are not the
// five integers of a decision gives ErrBadReply for every request of a
// batch, as AllowN does for one, never a panic or a decision.
func TestAllowBatchTypeChecksEveryReply(t *testing.T) {
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	limit := Limit{Requests: 5, Window: time.Second}
	for _, body := range []string{
		`return "allowed"`,
		`return {1, 2, 3}`,
		`return {1, 2, 3, 4, "5"}`,
		`return {2, 0, 0, 0, 0}`,
	} {
		s := newScripted("bogus", redis.NewScript(body), rdb, Options{}, windowParams)
		if _, err := s.decide(context.Background(), "k", limit, 1); !errors.Is(err, ErrBadReply) {
			t.Errorf("%s: AllowN's error %v, want ErrBadReply", body, err)
		}
		out := make([]Result, 3)
		s.AllowBatch(context.Background(), []Request{{"k", limit, 1}, {"k", limit, 1}, {"k", limit, 1}}, out)
		for i, r := range out {
			if !errors.Is(r.Err, ErrBadReply) {
				t.Errorf("%s: request %d got %+v, want ErrBadReply", body, i, r)
			}
		}
	}
}

// TestAllowBatchNeedsAPipeline: a client that only runs scripts (a
// redis.Scripter without Pipeline) fails every request of a batch with
// ErrNoPipeline.
func TestAllowBatchNeedsAPipeline(t *testing.T) {
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	s := NewFixedWindow(scripterOnly{rdb}, Options{})
	out := make([]Result, 2)
	limit := Limit{Requests: 5, Window: time.Second}
	s.AllowBatch(context.Background(), []Request{{"k", limit, 1}, {"k", limit, 1}}, out)
	for i, r := range out {
		if !errors.Is(r.Err, ErrNoPipeline) {
			t.Errorf("request %d got %+v, want ErrNoPipeline", i, r)
		}
	}
}

type scripterOnly struct{ redis.Scripter }
