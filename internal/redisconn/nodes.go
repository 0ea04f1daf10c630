package redisconn

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// ForEachMaster calls fn with a client of every master: the one server of
// a single-node target, each master of a cluster (concurrently).
func (t *Target) ForEachMaster(ctx context.Context, fn func(context.Context, *redis.Client) error) error {
	switch c := t.Client.(type) {
	case *redis.ClusterClient:
		return c.ForEachMaster(ctx, fn)
	case *redis.Client:
		return fn(ctx, c)
	}
	return nil
}
