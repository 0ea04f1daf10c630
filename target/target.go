// Package target is the seam between the engine and what it drives: anything
// that answers one request with an outcome. A Redis-backed limiter from
// package algorithms is one target (Limiter); an HTTP API is another.
//
// A target decides; it does not judge. What an answer promised (the bound an
// algorithm admits at most) is a separate setting of the run, so that an API
// can be held to a token bucket's promise without being one.
package target

import (
	"context"
	"time"

	"github.com/rlbench/rlbench/algorithms"
)

// Target answers requests. Implementations are safe for concurrent use.
type Target interface {
	// Decide asks for one decision. It never returns an error: a failure
	// is an Outcome of kind Unknown or Failed, with its class.
	Decide(ctx context.Context, req Request) Outcome
}

// Request is one request for Cost units of Key's allowance, which the
// run says is Limit (a target that enforces its own limit may ignore it);
// KeyIndex numbers the key from 0, Tier names its tier ("" without tiers);
// Index numbers the request in its run from 0 (what --clock-skew groups by).
type Request struct {
	Key      string
	KeyIndex int
	Tier     string
	Limit    algorithms.Limit
	Cost     int64
	Index    uint64
}

// Kind is what became of a request.
type Kind uint8

// Every request sent ends as exactly one Kind.
const (
	// Accepted and Rejected are decisions.
	Accepted Kind = iota + 1
	Rejected
	// Unknown is a request that may have been decided, but whose answer
	// never came (a timeout, a connection lost after the send): it may
	// have been admitted.
	Unknown
	// Failed is a request that surely got no decision.
	Failed
)

// String is the kind's name, as results files write it.
func (k Kind) String() string {
	switch k {
	case Accepted:
		return "accepted"
	case Rejected:
		return "rejected"
	case Unknown:
		return "unknown"
	case Failed:
		return "failed"
	}
	return "invalid"
}

// Error classes: why a request got no decision. Targets may add their own.
const (
	// ClassTimeout is a decision that outlived its deadline.
	ClassTimeout = "timeout"
	// ClassConnection is a broken, refused or unavailable connection.
	ClassConnection = "connection"
	// ClassScript is Redis refusing the script or its keys (ERR, NOSCRIPT,
	// WRONGTYPE), or a reply the algorithm could not read: a bug to fix,
	// not load to tolerate.
	ClassScript = "script"
	// ClassOther is everything else, such as LOADING or OOM.
	ClassOther = "other"
	// ClassTopology is a server that cannot decide because of its place
	// in a deployment: a cluster down or moving slots (CLUSTERDOWN,
	// TRYAGAIN, MOVED and ASK past the client's redirects), a replica
	// asked to write (READONLY), a replica cut off from its master
	// (MASTERDOWN). Shown only when it happens, as the faults of
	// Cluster and Sentinel deployments cause it.
	ClassTopology = "topology"
)

// ErrorClasses lists the classes every report shows, in order, even at 0.
func ErrorClasses() []string {
	return []string{ClassTimeout, ClassConnection, ClassScript, ClassOther}
}

// Outcome is the answer to one request.
type Outcome struct {
	Kind Kind
	// Class and Err say why, for Unknown and Failed.
	Class string
	Err   error
	// Said is what the target said with its answer.
	Said Said
}

// Said is what a target said about its decision; Has tells which of the
// optional fields it said.
type Said struct {
	// At is the decision's instant on the target's clock; zero when the
	// target does not say.
	At time.Time
	// Remaining is how many more units would pass now; RetryAfter when
	// the request would pass (NeverRetry: never, for its cost); ResetAfter
	// when the allowance is whole again.
	Remaining              int64
	RetryAfter, ResetAfter time.Duration
	// Quota is the limit the target declares it enforces, per
	// QuotaWindow when it says one (0: not said).
	Quota       int64
	QuotaWindow time.Duration
	Has         Fields
}

// Fields is a set of Said's optional fields.
type Fields uint8

// The optional fields of Said.
const (
	HasRemaining Fields = 1 << iota
	HasRetryAfter
	HasResetAfter
	HasQuota
)

// NeverRetry is the RetryAfter of a request that can never pass.
const NeverRetry = algorithms.NeverRetry
