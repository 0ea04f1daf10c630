package bench

import (
	"testing"
	"time"
)

// TestClockSkewGroups: group g lags D·(G−1−g)/(G−1), so the first group is
// D slow and the last keeps true time, and requests go to the groups in
// blocks of Block.
func TestClockSkewGroups(t *testing.T) {
	s := ClockSkew{D: 10 * time.Second, Groups: 3, Block: 2}
	for g, want := range []time.Duration{10 * time.Second, 5 * time.Second, 0} {
		if got := s.Lag(g); got != want {
			t.Errorf("Lag(%d) = %v, want %v", g, got, want)
		}
	}
	for i, want := range []int{0, 0, 1, 1, 2, 2, 0, 0} {
		if got := s.Group(uint64(i)); got != want {
			t.Errorf("Group(%d) = %d, want %d", i, got, want)
		}
	}
	// The largest skew over the most groups neither overflows nor loses
	// the last nanosecond.
	big := ClockSkew{D: 24 * time.Hour, Groups: MaxClockGroups, Block: 1}
	if got := big.Lag(0); got != 24*time.Hour {
		t.Errorf("Lag(0) of 24h over %d groups = %v, want 24h", MaxClockGroups, got)
	}
	if got := big.Lag(MaxClockGroups - 1); got != 0 {
		t.Errorf("the last group lags %v, want 0", got)
	}
}
