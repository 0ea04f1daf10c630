package redisconn

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// ErrNoStats means the server does not report what Stats reads: miniredis
// has no INFO commandstats, INFO cpu or MEMORY USAGE.
var ErrNoStats = errors.New("the server reports no command, CPU or memory statistics")

// Stats is what a Redis server has done so far, as INFO reports it, summed
// over the masters of a Cluster. Sub of two snapshots is what happened
// between them.
type Stats struct {
	// Calls counts the commands run by name, lower case, as INFO
	// commandstats names them ("evalsha", "get", "client|setinfo").
	// Redis counts a command a script runs as a call of its own.
	Calls map[string]int64
	// CPUMicros is used_cpu_sys plus used_cpu_user (INFO cpu): the
	// server's CPU time, in microseconds.
	CPUMicros int64
	// UsedMemory is used_memory (INFO memory), in bytes.
	UsedMemory int64
	// Keys counts the keys of every database (INFO keyspace).
	Keys int64
	// Masters counts the servers summed.
	Masters int
}

// Sub is s less before: what the server did between the two snapshots.
func (s Stats) Sub(before Stats) Stats {
	d := Stats{
		Calls:      make(map[string]int64),
		CPUMicros:  s.CPUMicros - before.CPUMicros,
		UsedMemory: s.UsedMemory - before.UsedMemory,
		Keys:       s.Keys - before.Keys,
		Masters:    s.Masters,
	}
	for name, n := range s.Calls {
		if n -= before.Calls[name]; n != 0 {
			d.Calls[name] = n
		}
	}
	return d
}

func (s *Stats) add(o Stats) {
	if s.Calls == nil {
		s.Calls = make(map[string]int64)
	}
	for name, n := range o.Calls {
		s.Calls[name] += n
	}
	s.CPUMicros += o.CPUMicros
	s.UsedMemory += o.UsedMemory
	s.Keys += o.Keys
	s.Masters += o.Masters
}

// Stats reads every master's INFO commandstats, cpu, memory and keyspace,
// in one INFO command each, and sums them. It is ErrNoStats on the
// embedded miniredis.
func (t *Target) Stats(ctx context.Context) (Stats, error) {
	if t.Kind == KindMiniredis {
		return Stats{}, ErrNoStats
	}
	var mu sync.Mutex
	var sum Stats
	err := t.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		info, err := c.Info(ctx, "commandstats", "cpu", "memory", "keyspace").Result()
		if err != nil {
			return fmt.Errorf("INFO on %s: %w", c.Options().Addr, err)
		}
		s, err := ParseStats(info)
		if err != nil {
			return fmt.Errorf("INFO on %s: %w", c.Options().Addr, err)
		}
		mu.Lock()
		defer mu.Unlock()
		sum.add(s)
		return nil
	})
	return sum, err
}

// ParseStats reads one server's reply to INFO commandstats cpu memory
// keyspace. A reply without used_cpu_user or used_memory (a server that
// is not Redis, or that left out a section) is ErrNoStats.
func ParseStats(info string) (Stats, error) {
	s := Stats{Calls: make(map[string]int64), Masters: 1}
	var cpu, memory bool
	for line := range strings.Lines(info) {
		field, value, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		var err error
		switch {
		case strings.HasPrefix(field, "cmdstat_"):
			var calls int64
			calls, err = intItem(value, "calls")
			s.Calls[strings.TrimPrefix(field, "cmdstat_")] = calls
		case field == "used_cpu_sys" || field == "used_cpu_user":
			var us int64
			us, err = micros(value)
			s.CPUMicros += us
			cpu = true
		case field == "used_memory":
			s.UsedMemory, err = strconv.ParseInt(value, 10, 64)
			memory = true
		case strings.HasPrefix(field, "db"):
			var keys int64
			keys, err = intItem(value, "keys")
			s.Keys += keys
		}
		if err != nil {
			return Stats{}, fmt.Errorf("%s: %w", field, err)
		}
	}
	if !cpu || !memory {
		return Stats{}, ErrNoStats
	}
	return s, nil
}

// intItem is the integer item name of "calls=12,usec=34,...".
func intItem(value, name string) (int64, error) {
	for item := range strings.SplitSeq(value, ",") {
		if v, ok := strings.CutPrefix(item, name+"="); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in %q", name, value)
}

// micros reads INFO cpu's seconds, such as "0.123456", exactly.
func micros(seconds string) (int64, error) {
	whole, frac, _ := strings.Cut(seconds, ".")
	if len(frac) > 6 {
		frac = frac[:6]
	}
	frac += strings.Repeat("0", 6-len(frac))
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return 0, err
	}
	return w*1_000_000 + f, nil
}
