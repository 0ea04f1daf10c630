package algorithms

// keyStore holds a model's per-key states by value. A key never written
// reads as the zero state, which every model takes for a missing Redis key:
// its expireAt of 0 has passed at every instant.
type keyStore[K comparable, S any] interface {
	// state is key's state, read and written in place. It stays where it
	// is: the store never moves a state once made.
	state(key K) *S
}

// newKeyStore is a paged store when the keys are ints, a simulation's key
// indexes, and a map otherwise.
func newKeyStore[K comparable, S any]() keyStore[K, S] {
	if s, ok := any(&pagedStore[S]{}).(keyStore[K, S]); ok {
		return s
	}
	return mapStore[K, S]{}
}

// mapStore keeps each state behind a pointer, so that it stays where it is
// as the map grows.
type mapStore[K comparable, S any] map[K]*S

func (m mapStore[K, S]) state(key K) *S {
	s := m[key]
	if s == nil {
		s = new(S)
		m[key] = s
	}
	return s
}

// pageBits makes pages of 1024 states: small enough that a simulation
// asking a few keys of a large range makes few of them, large enough that
// the page table of 10^8 keys (--keys' bound) is under a megabyte.
const (
	pageBits = 10
	pageSize = 1 << pageBits
	// maxPaged bounds the keys kept in pages, so that a stray huge index
	// cannot make a huge page table.
	maxPaged = 1 << 30
)

// pagedStore keeps the states of keys 0, 1, 2, ... in pages made as their
// keys are first asked for, each state inline at its index: reaching a
// key's state is an index and one memory access, not a hash, a probe and a
// pointer to follow, and a new key allocates nothing but, once per 1024,
// its page. Keys below 0 or from maxPaged on are kept in a map.
type pagedStore[S any] struct {
	pages []*[pageSize]S
	other mapStore[int, S]
}

func (p *pagedStore[S]) state(key int) *S {
	if uint(key) >= maxPaged {
		if p.other == nil {
			p.other = mapStore[int, S]{}
		}
		return p.other.state(key)
	}
	i := key >> pageBits
	if i >= len(p.pages) {
		p.pages = append(p.pages, make([]*[pageSize]S, i+1-len(p.pages))...)
	}
	page := p.pages[i]
	if page == nil {
		page = new([pageSize]S)
		p.pages[i] = page
	}
	return &page[key&(pageSize-1)]
}
