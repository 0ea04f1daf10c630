package redisconn

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Census is what a set of keys holds at one instant, summed over the
// masters: how many there are, how their TTLs stand, and what a sample of
// them costs in memory.
type Census struct {
	// Keys counts the keys; WithoutTTL those that never expire (PTTL -1);
	// PastTTL those whose remaining TTL is longer than the longest asked
	// about, so that they will still be there after it.
	Keys, WithoutTTL, PastTTL int64
	// Sampled counts the keys measured with MEMORY USAGE (SAMPLES 0, every
	// element), SampledBytes their sum.
	Sampled, SampledBytes int64
	// Members counts the elements of the sampled sorted sets and lists,
	// MemberKeyBytes the MEMORY USAGE of those keys.
	Members, MemberKeyBytes int64
}

// censusBatch is how many keys one SCAN asks for and one pipeline
// inspects.
const censusBatch = 1000

// Census scans every master for the keys that match the SCAN glob pattern
// and that keep accepts, reads each one's PTTL, and measures the first
// sample of them (on each master) with MEMORY USAGE. longest is the TTL
// that a key's PTTL may not exceed. It is ErrNoStats on the embedded
// miniredis, which has no MEMORY USAGE.
func (t *Target) Census(ctx context.Context, pattern string, keep func(key string) bool, longest time.Duration, sample int) (Census, error) {
	if t.Kind == KindMiniredis {
		return Census{}, ErrNoStats
	}
	var mu sync.Mutex
	var sum Census
	err := t.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		n, err := census(ctx, c, pattern, keep, longest, sample)
		if err != nil {
			return fmt.Errorf("census on %s: %w", c.Options().Addr, err)
		}
		mu.Lock()
		defer mu.Unlock()
		sum.Keys += n.Keys
		sum.WithoutTTL += n.WithoutTTL
		sum.PastTTL += n.PastTTL
		sum.Sampled += n.Sampled
		sum.SampledBytes += n.SampledBytes
		sum.Members += n.Members
		sum.MemberKeyBytes += n.MemberKeyBytes
		return nil
	})
	return sum, err
}

func census(ctx context.Context, c *redis.Client, pattern string, keep func(string) bool, longest time.Duration, sample int) (Census, error) {
	var n Census
	var cursor uint64
	for {
		page, next, err := c.Scan(ctx, cursor, pattern, censusBatch).Result()
		if err != nil {
			return n, err
		}
		var keys []string
		for _, k := range page {
			if keep(k) {
				keys = append(keys, k)
			}
		}
		if err := n.count(ctx, c, keys, longest); err != nil {
			return n, err
		}
		if room := sample - int(n.Sampled); room > 0 {
			if err := n.measure(ctx, c, keys[:min(room, len(keys))]); err != nil {
				return n, err
			}
		}
		if cursor = next; cursor == 0 {
			return n, nil
		}
	}
}

// count reads the PTTL of keys. A key that expired between SCAN and PTTL
// (-2) is not counted.
func (n *Census) count(ctx context.Context, c *redis.Client, keys []string, longest time.Duration) error {
	if len(keys) == 0 {
		return nil
	}
	pipe := c.Pipeline()
	ttls := make([]*redis.DurationCmd, len(keys))
	for i, k := range keys {
		ttls[i] = pipe.PTTL(ctx, k)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return err
	}
	for _, cmd := range ttls {
		// go-redis gives PTTL's -1 and -2 as those many nanoseconds.
		switch ttl := cmd.Val(); {
		case ttl == -2:
		case ttl == -1:
			n.Keys++
			n.WithoutTTL++
		case ttl > longest:
			n.Keys++
			n.PastTTL++
		default:
			n.Keys++
		}
	}
	return nil
}

// measure adds MEMORY USAGE of keys, and the members of those that are
// sorted sets or lists.
func (n *Census) measure(ctx context.Context, c *redis.Client, keys []string) error {
	for _, k := range keys {
		bytes, err := c.MemoryUsage(ctx, k, 0).Result()
		if err == redis.Nil {
			continue // expired since the SCAN
		}
		if err != nil {
			return fmt.Errorf("MEMORY USAGE: %w", err)
		}
		n.Sampled++
		n.SampledBytes += bytes
		var members int64
		switch kind, _ := c.Type(ctx, k).Result(); kind {
		case "zset":
			members, err = c.ZCard(ctx, k).Result()
		case "list":
			members, err = c.LLen(ctx, k).Result()
		default:
			continue
		}
		if err != nil {
			return err
		}
		n.Members += members
		n.MemberKeyBytes += bytes
	}
	return nil
}

// GlobEscape is s as a SCAN MATCH pattern that matches s alone.
func GlobEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
