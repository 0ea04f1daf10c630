package report

import (
	"strings"
	"testing"
)

// A fixed window's declared quota holds per aligned window: 200 across a
// boundary is its right, 130 in a sliding window's span is not.
func TestSaidNotesDeclaredQuota(t *testing.T) {
	said := &Said{DeclaredQuota: 100, DeclaredWindowUS: 60e6}
	limit := Limit{Requests: 100, WindowUS: 60e6}
	fixed := Run{Limit: limit, Said: said, Accuracy: Accuracy{MaxAdmittedInWindow: 200, MaxAdmittedInAlignedWindow: 100, AlignedBound: 100}}
	if got := strings.Join(saidNotes(&fixed), "; "); got != "declared a quota of 100 per 1m" {
		t.Errorf("fixed: %q, want the quota with no blame", got)
	}
	fixed.Accuracy.MaxAdmittedInAlignedWindow = 101
	if got := strings.Join(saidNotes(&fixed), "; "); got != "declared a quota of 100 per 1m but admitted 101 in one" {
		t.Errorf("fixed over: %q", got)
	}
	sliding := Run{Limit: limit, Said: said, Accuracy: Accuracy{MaxAdmittedInWindow: 130, AlignedBound: -1}}
	if got := strings.Join(saidNotes(&sliding), "; "); got != "declared a quota of 100 per 1m but admitted 130 in one" {
		t.Errorf("sliding: %q", got)
	}
}
