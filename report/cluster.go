package report

import (
	"fmt"
	"strings"
)

// Topology is the shape of a Redis Cluster: its masters, each with the
// hash slots it serves and its replicas.
type Topology struct {
	// Masters counts the masters that serve slots; Replicas their
	// replicas, all masters together.
	Masters  int     `json:"masters"`
	Replicas int     `json:"replicas"`
	Shards   []Shard `json:"shards"`
}

// Shard is one master of a cluster.
type Shard struct {
	// Master is its host:port.
	Master string `json:"master"`
	// Slots counts the hash slots it serves, of 16384.
	Slots    int      `json:"slots"`
	Replicas []string `json:"replicas,omitempty"`
}

// clusterSlots is how many hash slots a Redis Cluster has.
const clusterSlots = 16384

// MasterShare is how many decisions of a run one master served: those
// whose key lives in a slot the master served when the run started.
// Each decision is counted by where its limiter's state lives, which is
// one slot per user key for the atomic algorithms (the hash tag
// rl:{<user key>}) and the seed's sliding log and list. The seed's fixed
// window (a key per window) and the baseline (PING) have no such key and
// no share.
type MasterShare struct {
	Master    string `json:"master"`
	Decisions int64  `json:"decisions"`
}

func (c *checker) topology(path string, t *Topology) {
	if t.Masters != len(t.Shards) {
		c.fail(path+".masters", "%d, want the number of shards (%d)", t.Masters, len(t.Shards))
	}
	slots, replicas := 0, 0
	for i, s := range t.Shards {
		p := fmt.Sprintf("%s.shards[%d]", path, i)
		if s.Master == "" {
			c.fail(p+".master", "empty, want host:port")
		}
		if s.Slots < 1 || s.Slots > clusterSlots {
			c.fail(p+".slots", "%d, want 1 to %d", s.Slots, clusterSlots)
		}
		slots += s.Slots
		replicas += len(s.Replicas)
	}
	if slots > clusterSlots {
		c.fail(path+".shards", "serve %d slots in all, want at most %d", slots, clusterSlots)
	}
	if t.Replicas != replicas {
		c.fail(path+".replicas", "%d, want the replicas the shards list (%d)", t.Replicas, replicas)
	}
}

// masters checks that the shares add up to the run's decisions.
func (c *checker) masters(path string, shares []MasterShare, counts *Counts) {
	var total int64
	seen := map[string]bool{}
	for i, s := range shares {
		p := fmt.Sprintf("%s[%d]", path, i)
		c.count(p+".decisions", s.Decisions)
		if s.Master == "" || seen[s.Master] {
			c.fail(p+".master", "%q, want each master's host:port once", s.Master)
		}
		seen[s.Master] = true
		total += s.Decisions
	}
	if decided := counts.Accepted + counts.Rejected; total != decided {
		c.fail(path, "count %d decisions in all, want accepted + rejected (%d)", total, decided)
	}
}

// mergeMasters adds part i's shares to those merged so far; a run merged
// with one that has none (another target) has none either.
func mergeMasters(into, shares []MasterShare, i int) []MasterShare {
	if shares == nil || (i > 0 && into == nil) {
		return nil
	}
	out := append([]MasterShare(nil), into...)
next:
	for _, s := range shares {
		for j := range out {
			if out[j].Master == s.Master {
				out[j].Decisions += s.Decisions
				continue next
			}
		}
		out = append(out, s)
	}
	return out
}

// clusterNotes are the cluster's shape and, per run, the share of its
// decisions each master served:
//
//	cluster: 3 masters (5461, 5462, 5461 slots), 3 replicas
//	masters: fixed/steady: 127.0.0.1:7000 81.2%, 127.0.0.1:7001 9.5%, 127.0.0.1:7002 9.3% of 6000 decisions
func clusterNotes(f *File) []string {
	t := f.Target.Cluster
	if t == nil {
		return nil
	}
	slots := make([]string, len(t.Shards))
	for i, s := range t.Shards {
		slots[i] = fmt.Sprint(s.Slots)
	}
	out := []string{fmt.Sprintf("cluster: %d %s (%s slots), %d %s",
		t.Masters, Plural(t.Masters, "master"), strings.Join(slots, ", "), t.Replicas, Plural(t.Replicas, "replica"))}
	for _, r := range f.Runs {
		if len(r.Masters) == 0 {
			continue
		}
		var total int64
		for _, m := range r.Masters {
			total += m.Decisions
		}
		parts := make([]string, len(r.Masters))
		for i, m := range r.Masters {
			share := 0.0
			if total > 0 {
				share = 100 * float64(m.Decisions) / float64(total)
			}
			parts[i] = fmt.Sprintf("%s %.1f%%", m.Master, share)
		}
		out = append(out, fmt.Sprintf("masters: %s/%s: %s of %d %s", r.Algorithm, r.Workload, strings.Join(parts, ", "), total, Plural(total, "decision")))
	}
	return out
}
