package algorithms

// RefillsOnlyAtReset reports whether p gives a key's allowance back only when
// its window ends, all at once (the fixed windows), rather than bit by bit as
// time passes (the buckets, GCRA, the sliding log and counter). Within one
// window, such an algorithm's remaining allowance can only fall. No promise
// (nil) is not known to, and neither is any other.
func RefillsOnlyAtReset(p Promise) bool {
	switch p.(type) {
	case *FixedWindow, *SeedFixed:
		return true
	}
	return false
}
