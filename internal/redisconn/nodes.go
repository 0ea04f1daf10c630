package redisconn

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// ForEachMaster calls fn with a client of each master the target writes to:
// the one server of a single-node target, every master of a Cluster (at
// once, each on its own goroutine, as go-redis's ClusterClient.ForEachMaster
// does). It returns the first error fn returns.
func (t *Target) ForEachMaster(ctx context.Context, fn func(context.Context, *redis.Client) error) error {
	switch c := t.Client.(type) {
	case *redis.Client:
		return fn(ctx, c)
	case *redis.ClusterClient:
		return c.ForEachMaster(ctx, fn)
	}
	return fmt.Errorf("redisconn: cannot list the masters of a %T", t.Client)
}
