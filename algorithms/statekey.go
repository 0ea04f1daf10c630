package algorithms

// StateKeyer is implemented by the limiters that keep all the state of
// one user key in one Redis Cluster hash slot: the atomic algorithms (the
// hash tag in rl:{<user key>}:...) and the seed's sliding log and list
// (one key each). StateKey names a key in that slot, so that a load
// generator can tell which master decided. The seed's fixed window, with
// a key per window, and the baseline, with none, do not implement it.
type StateKeyer interface {
	StateKey(userKey string) string
}

// StateKey implements StateKeyer.
func (s scripted) StateKey(userKey string) string { return s.key(userKey) }

// StateKey implements StateKeyer.
func (s *SeedSliding) StateKey(userKey string) string { return s.key(userKey) }

// StateKey implements StateKeyer.
func (s *SeedLeaky) StateKey(userKey string) string { return s.key(userKey) }
