package report

import "time"

// SchemaVersion is the major version of the results file this package
// writes. Readers refuse any other major version.
const SchemaVersion = 1

// File is one results file: what ran, where, how it ended, and one Run per
// algorithm and workload. Field names are fixed by ARCHITECTURE.md so that
// scripts and CI can rely on them; add fields freely, rename none without
// bumping SchemaVersion. Times are in microseconds unless a name says
// otherwise.
type File struct {
	SchemaVersion int    `json:"schema_version"`
	Tool          Tool   `json:"tool"`
	Host          Host   `json:"host"`
	Target        Target `json:"target"`
	// Config is the fully resolved configuration, the random seed included.
	Config    Config    `json:"config"`
	StartedAt time.Time `json:"started_at"`
	EndedAt   time.Time `json:"ended_at"`
	// EndReason is EndCompleted, EndInterrupted or EndError.
	EndReason string `json:"end_reason"`
	// Error is the error that ended the run, when EndReason is EndError.
	Error string `json:"error,omitempty"`
	// GeneratorID is drawn at random by each rlbench process that writes
	// results, so that a merge can tell one generator's file given twice
	// from two generators' files.
	GeneratorID string `json:"generator_id,omitempty"`
	// GeneratorIDs are, in a merged file, the generator_id of every file
	// merged into it, in the order given; absent when one had none.
	GeneratorIDs []string `json:"generator_ids,omitempty"`
	Runs         []Run    `json:"runs"`
}

// End reasons.
const (
	EndCompleted   = "completed"
	EndInterrupted = "interrupted"
	EndError       = "error"
)

// Tool names the program that wrote the file.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Go      string `json:"go"`
}

// Host describes the machine the load generator ran on.
type Host struct {
	OS   string `json:"os"`
	Arch string `json:"arch"`
	CPUs int    `json:"cpus"`
}

// Target is the Redis the limiters ran against. Address never holds a password.
type Target struct {
	// Kind is miniredis, redis, cluster, sentinel, http, or simulation
	// (rlbench simulate: the reference models in virtual time, no Redis).
	Kind string `json:"kind"`
	// Address is host:port; for sentinel, the master's when the run
	// began.
	Address       string `json:"address"`
	ServerVersion string `json:"server_version"`
	// Cluster is a Redis Cluster's topology when the runs started; absent
	// for any other target.
	Cluster *Topology `json:"cluster,omitempty"`
	// Sentinel is the deployment of a sentinel target as its sentinels
	// described it when the run began.
	Sentinel *SentinelTopology `json:"sentinel,omitempty"`
}

// SentinelTopology is a Redis Sentinel deployment: the master, by name
// and address, its replicas and the sentinels that watch it.
type SentinelTopology struct {
	MasterName string   `json:"master_name"`
	Master     string   `json:"master"`
	Replicas   []string `json:"replicas"`
	// Sentinels are those the URL named, then those they knew of.
	Sentinels []string `json:"sentinels"`
	// Quorum is how many sentinels must agree that the master is down.
	Quorum int `json:"quorum"`
}

// Config is the resolved configuration of a run, flags and defaults alike.
type Config struct {
	Algorithms []string `json:"algorithms"`
	// Workload is the run's workload; a bench lists its own in Workloads,
	// with Count repetitions of each run and its --sweep, such as
	// "limit=10,100,1000".
	Workload   string   `json:"workload"`
	Workloads  []string `json:"workloads,omitempty"`
	Count      int      `json:"count,omitempty"`
	Sweep      string   `json:"sweep,omitempty"`
	Requests   int64    `json:"requests"`
	DurationUS int64    `json:"duration_us"`
	Rate       float64  `json:"rate,omitempty"`
	RateStart  float64  `json:"rate_start,omitempty"`
	// BaseRate is bursty's steady rate beneath its bursts; Rate is that
	// of steady, poisson and ramp, which a bench may run beside bursty.
	BaseRate     float64 `json:"base_rate,omitempty"`
	BurstSize    int64   `json:"burst_size,omitempty"`
	BurstEveryUS int64   `json:"burst_every_us,omitempty"`
	EdgeOffsetUS int64   `json:"edge_offset_us,omitempty"`
	Concurrency  int     `json:"concurrency"`
	// Pipeline is how many requests each closed-model worker sent in one
	// round trip (--pipeline), when more than one; latency is then per batch.
	Pipeline    int     `json:"pipeline,omitempty"`
	MaxInflight int     `json:"max_inflight,omitempty"`
	MissAfterUS int64   `json:"miss_after_us,omitempty"`
	TimeoutUS   int64   `json:"timeout_us"`
	IntervalUS  int64   `json:"interval_us"`
	Keys        int     `json:"keys"`
	KeyDist     string  `json:"key_dist"`
	ZipfS       float64 `json:"zipf_s,omitempty"`
	Tiers       []Tier  `json:"tiers,omitempty"`
	Limit       Limit   `json:"limit"`
	Clock       string  `json:"clock"`
	// ClockSkewAllowanceUS pads every TTL under the client clock.
	ClockSkewAllowanceUS int64 `json:"clock_skew_allowance_us,omitempty"`
	// ClockSkewUS, ClockGroups and ClockBlock are --clock-skew,
	// --clock-groups and --clock-block: how the callers' clocks lag.
	ClockSkewUS int64  `json:"clock_skew_us,omitempty"`
	ClockGroups int    `json:"clock_groups,omitempty"`
	ClockBlock  int64  `json:"clock_block,omitempty"`
	Seed        uint64 `json:"seed"`
	// RunID names the keys of the run; generators that loaded the same
	// keys share it, and only their results can be merged.
	RunID string `json:"run_id,omitempty"`
	// GeneratorID is --generator-id as given (generator_id above it is
	// then the same); each generator has its own, so a merge leaves it out.
	GeneratorID string `json:"generator_id,omitempty"`
	// StartAt is --start-at: when the first run started, on every
	// generator given the same.
	StartAt time.Time `json:"start_at,omitzero"`
	// HonorRetryAfter is set when the simulated users waited out every
	// Retry-After (polite clients).
	HonorRetryAfter bool `json:"honor_retry_after,omitempty"`
	// Faults are the --fault specs injected into every run, such as
	// "restart@2s"; each run's Events say what became of them.
	Faults []string `json:"faults,omitempty"`
	// Client is the Redis client the runs decided through, or several
	// in turn, comma-separated ("go-redis,rueidis": each run's algorithm
	// is then named after its client, "rueidis:fixed"). Empty for a
	// target that is no Redis, and in files from before it was recorded.
	Client string `json:"client,omitempty"`
	// Trace is the recorded trace that --workload trace replayed;
	// Synthetic the generator that fed --workload synthetic.
	Trace     *Trace     `json:"trace,omitempty"`
	Synthetic *Synthetic `json:"synthetic,omitempty"`
	// Oracle is --oracle: the exact policy each run was judged by.
	Oracle string `json:"oracle,omitempty"`
}

// Trace identifies a replayed trace file: its path as given, the SHA-256
// of its bytes as stored, its requests and distinct keys, and the speed it
// was replayed at (2 is twice its own pace).
type Trace struct {
	Path   string  `json:"path"`
	SHA256 string  `json:"sha256"`
	Lines  int64   `json:"lines"`
	Keys   int     `json:"keys"`
	Speed  float64 `json:"speed"`
}

// Synthetic is the parameters of a synthetic trace generator (rlbench
// trace gen, --workload synthetic): the same ones give the same requests.
type Synthetic struct {
	Seed            uint64  `json:"seed"`
	Sources         int     `json:"sources"`
	DurationUS      int64   `json:"duration_us,omitempty"`
	Rate            float64 `json:"rate"`
	RateZipf        float64 `json:"rate_zipf"`
	OnMeanUS        int64   `json:"on_mean_us"`
	OffMeanUS       int64   `json:"off_mean_us"`
	ParetoAlpha     float64 `json:"pareto_alpha"`
	Diurnal         float64 `json:"diurnal"`
	DiurnalPeriodUS int64   `json:"diurnal_period_us"`
	Abusive         float64 `json:"abusive"`
	AbusiveRate     float64 `json:"abusive_rate"`
}

// Tier is a share of the key population with its own limit.
type Tier struct {
	Name  string  `json:"name"`
	Limit Limit   `json:"limit"`
	Share float64 `json:"share"`
}

// Limit is a rate limit: Requests per WindowUS, with Burst for the buckets
// (0 means Requests).
type Limit struct {
	Requests int64 `json:"requests"`
	WindowUS int64 `json:"window_us"`
	Burst    int64 `json:"burst"`
}

// Run is one algorithm under one workload.
type Run struct {
	Algorithm  string     `json:"algorithm"`
	Workload   string     `json:"workload"`
	Limit      Limit      `json:"limit"`
	Counts     Counts     `json:"counts"`
	Rates      Rates      `json:"rates"`
	Latency    Latency    `json:"latency"`
	Accuracy   Accuracy   `json:"accuracy"`
	Generator  Generator  `json:"generator"`
	Timeseries Timeseries `json:"timeseries"`
	// StartedAt is when this run began; its time series counts from it.
	StartedAt time.Time `json:"started_at"`
	// ElapsedUS is how long the run lasted, first send to last answer.
	ElapsedUS int64 `json:"elapsed_us"`
	// EndReason is this run's: a run after an interrupted one never started
	// and is absent.
	EndReason string `json:"end_reason"`
	// EndedBy says what ended the run: requests, duration, schedule (the
	// workload's schedule ran out) or interrupted.
	EndedBy string `json:"ended_by,omitempty"`
	// Simulation is how fast a simulated run decided; absent for a run
	// against a real target.
	Simulation *Simulation `json:"simulation,omitempty"`
	// Said is what an HTTP target said in its answers, checked; absent
	// for rlbench's own limiters, whose answers are their decisions.
	Said *Said `json:"said,omitempty"`
	// Schedule is how the run sent its requests, as its pacer says it:
	// "steady 2000/s", "bursty 100 every 50ms", or "closed, 10 workers".
	Schedule string `json:"schedule,omitempty"`
	// Repeat numbers the repetitions of one algorithm, workload and limit
	// from 0, when a bench ran each --count times.
	Repeat int `json:"repeat,omitempty"`
	// ClockSkewUS is how far the slowest caller's clock lagged in this run
	// (--clock-skew, or its value of --sweep clock-skew=...); absent for
	// none.
	ClockSkewUS int64 `json:"clock_skew_us,omitempty"`
	// Generators counts the load generators whose runs were merged into
	// this one; 0 means 1.
	Generators int `json:"generators,omitempty"`
	// Masters counts the decisions each master of a Redis Cluster served
	// (see MasterShare); absent for other targets.
	Masters []MasterShare `json:"masters,omitempty"`
	// Admissions keeps every admission of every key, so that the runs of
	// several generators merge to exact accuracy; absent in files written
	// before it existed.
	Admissions *Admissions `json:"admissions,omitempty"`
	// Events are the faults injected during the run (--fault), in time
	// order, each with what the run saw from it on.
	Events []Event `json:"events,omitempty"`
	// RedisCost is what the run cost the Redis server, from INFO before
	// and after it and a census of the run's keys after it; absent when it
	// was not measured, and then RedisCostUnavailable says why (the
	// embedded miniredis has no INFO commandstats, INFO cpu or MEMORY
	// USAGE). Both are absent for targets that are not Redis.
	RedisCost            *RedisCost `json:"redis_cost,omitempty"`
	RedisCostUnavailable string     `json:"redis_cost_unavailable,omitempty"`
	// Oracle is the run judged against an exact policy (--oracle);
	// absent without one, and when a merge cannot judge exactly, which
	// OracleUnavailable then says.
	Oracle            *Oracle `json:"oracle,omitempty"`
	OracleUnavailable string  `json:"oracle_unavailable,omitempty"`
}

// Event is one fault injected during a run and what followed it: the
// requests that ended from its injection up to the next event (or the
// end of the run) are its.
type Event struct {
	// AtUS is when the fault was injected, from the run's start;
	// TookUS how long injecting it took (a restart waits for the server
	// to answer again).
	AtUS   int64  `json:"at_us"`
	TookUS int64  `json:"took_us"`
	Kind   string `json:"kind"`
	// Detail says what was done, to which server.
	Detail string `json:"detail,omitempty"`
	// Error says why the fault could not be injected, or why it was not:
	// the run ended before its time, or while the fault before it was
	// still being injected.
	Error string `json:"error,omitempty"`
	// Accepted, Rejected, Errors and Unknown count the decisions of the
	// requests that ended from the injection up to the next event;
	// ByClass splits Errors and Unknown by error class.
	Accepted int64            `json:"accepted"`
	Rejected int64            `json:"rejected"`
	Errors   int64            `json:"errors"`
	Unknown  int64            `json:"unknown"`
	ByClass  map[string]int64 `json:"by_class,omitempty"`
	// OutageUS runs from the injection to the end of the last request
	// that failed (an error or unknown outcome): 0 when none did.
	// Recovered says a decision came after that last failure; false
	// means the run ended still failing.
	OutageUS  int64 `json:"outage_us"`
	Recovered bool  `json:"recovered"`
}

// Counts are outcomes. Sent = Accepted + Rejected + Unknown + Errors.
// Missed counts requests sent later than their slot (see Generator); they
// are in Sent too.
type Counts struct {
	Sent     int64 `json:"sent"`
	Accepted int64 `json:"accepted"`
	Rejected int64 `json:"rejected"`
	// Unknown counts requests sent whose answer never came (a timeout, a
	// connection lost after the send): each may have been admitted, so
	// accuracy counts them as possible admissions.
	Unknown int64 `json:"unknown"`
	// Errors counts requests that surely got no decision.
	Errors        int64            `json:"errors"`
	Missed        int64            `json:"missed"`
	ErrorsByClass map[string]int64 `json:"errors_by_class"`
	// Waited counts the requests polite clients held back for a
	// Retry-After (--honor-retry-after); WaitedUS is their waits in all.
	Waited   int64 `json:"waited,omitempty"`
	WaitedUS int64 `json:"waited_us,omitempty"`
	// UnknownByClass splits Unknown by error class (timeout, connection).
	UnknownByClass map[string]int64 `json:"unknown_by_class,omitempty"`
}

// Rates are per second of the run's elapsed time.
type Rates struct {
	// OfferedPerS is what the schedule asked for: sent per second of
	// schedule, or achieved in the closed model, which has no schedule.
	OfferedPerS  float64 `json:"offered_per_s"`
	AchievedPerS float64 `json:"achieved_per_s"`
	AcceptedPerS float64 `json:"accepted_per_s"`
}

// Latency holds response time (from the intended send time) and service
// time (from the actual send). In the closed model they are the same.
type Latency struct {
	ResponseUS Percentiles `json:"response_us"`
	ServiceUS  Percentiles `json:"service_us"`
	// Histogram is the encoded HdrHistogram of response time, in
	// nanoseconds (hdrhistogram-go Encode, base64 of the compressed V2 form).
	Histogram string `json:"histogram"`
	// ServiceHistogram is the same for service time, so that merged
	// results keep exact percentiles of both.
	ServiceHistogram string `json:"service_histogram,omitempty"`
	// OverRange counts samples above the histogram's highest trackable
	// value; they are recorded as that value, and counted here.
	OverRange int64 `json:"over_range"`
}

// Percentiles of one latency distribution, in microseconds.
type Percentiles struct {
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
}

// Accuracy is what the algorithm admitted against what it promises. The
// admission instants are the limiter's own clock (Redis TIME by default),
// as each script reports it.
//
// Every figure of one key comes from that key alone: with many keys or
// tiers, the per-key figures below are those of the worst key (WorstKey),
// and the sums say how many keys passed their bounds and by how much.
// Unknown outcomes (Counts.Unknown) may have been admissions: the AtMost
// figures count each where it could have fallen, so the truth lies between
// a figure and its AtMost; without unknown outcomes the two are equal.
type Accuracy struct {
	// MaxAdmittedInWindow is the most the worst key admitted in any span
	// of one window length; Bound is what the algorithm promises for that
	// key and span, -1 when it promises nothing (the baseline).
	MaxAdmittedInWindow       int64 `json:"max_admitted_in_window"`
	MaxAdmittedInWindowAtMost int64 `json:"max_admitted_in_window_at_most"`
	Bound                     int64 `json:"bound"`
	// MaxAdmittedInBurst and BurstBound are the same over BurstSpanUS, a
	// hundredth of the window, where a bucket's bound is about its
	// capacity: a burst let through at once shows here, not over a window.
	MaxAdmittedInBurst int64 `json:"max_admitted_in_burst"`
	BurstBound         int64 `json:"burst_bound"`
	BurstSpanUS        int64 `json:"burst_span_us"`
	// MaxAdmittedInAlignedWindow is the most the worst key admitted in one
	// epoch-aligned window [k·W, (k+1)·W), for the algorithms that promise
	// a limit per aligned window (fixed, sliding-counter, seed-fixed);
	// AlignedBound is that promise, -1 for the others.
	MaxAdmittedInAlignedWindow int64 `json:"max_admitted_in_aligned_window"`
	AlignedBound               int64 `json:"aligned_bound"`
	// OverAdmitted sums, over keys, the admissions certainly above each
	// key's bounds (over a window, the burst span or an aligned window,
	// whichever is most); OverAdmittedAtMost counts the unknown outcomes as
	// admissions. KeysOverBound counts the keys certainly over,
	// KeysMaybeOverBound those that may be.
	OverAdmitted       int64 `json:"over_admitted"`
	OverAdmittedAtMost int64 `json:"over_admitted_at_most"`
	KeysOverBound      int64 `json:"keys_over_bound"`
	KeysMaybeOverBound int64 `json:"keys_maybe_over_bound"`
	// WorstKey and WorstTier name the key whose figures are above.
	WorstKey  string `json:"worst_key,omitempty"`
	WorstTier string `json:"worst_tier,omitempty"`
	// WorstKeys are the worst keys, worst first, at most MaxWorstKeys.
	WorstKeys []KeyAccuracy `json:"worst_keys,omitempty"`
	// LongRunAcceptedPerS is accepted per second over the run, against
	// ConfiguredPerS, the sum of the configured rates of the keys used.
	LongRunAcceptedPerS float64 `json:"long_run_accepted_per_s"`
	ConfiguredPerS      float64 `json:"configured_per_s"`
	// Keys is how many distinct keys were asked for.
	Keys int64 `json:"keys"`
}

// MaxWorstKeys is how many keys Accuracy.WorstKeys keeps.
const MaxWorstKeys = 10

// KeyAccuracy is one key's admissions against its own bounds. Instants
// are microseconds since the Unix epoch on the limiter's clock.
type KeyAccuracy struct {
	Key      string `json:"key"`
	Tier     string `json:"tier,omitempty"`
	Admitted int64  `json:"admitted"`
	Unknown  int64  `json:"unknown"`
	// WindowUS is the key's window; the busiest span of that length
	// starts at WindowStartUS.
	WindowUS                  int64 `json:"window_us"`
	MaxAdmittedInWindow       int64 `json:"max_admitted_in_window"`
	MaxAdmittedInWindowAtMost int64 `json:"max_admitted_in_window_at_most"`
	Bound                     int64 `json:"bound"`
	WindowStartUS             int64 `json:"window_start_us"`
	MaxAdmittedInBurst        int64 `json:"max_admitted_in_burst"`
	MaxAdmittedInBurstAtMost  int64 `json:"max_admitted_in_burst_at_most"`
	BurstBound                int64 `json:"burst_bound"`
	BurstSpanUS               int64 `json:"burst_span_us"`
	// AlignedBound is -1 for algorithms without a per-window promise.
	MaxAdmittedInAlignedWindow       int64 `json:"max_admitted_in_aligned_window"`
	MaxAdmittedInAlignedWindowAtMost int64 `json:"max_admitted_in_aligned_window_at_most"`
	AlignedBound                     int64 `json:"aligned_bound"`
	OverAdmitted                     int64 `json:"over_admitted"`
	OverAdmittedAtMost               int64 `json:"over_admitted_at_most"`
}

// Generator is the load generator's own health: how far behind its
// schedule it fell. Behind is true when it missed slots.
type Generator struct {
	Behind   bool    `json:"behind"`
	MaxLagUS float64 `json:"max_lag_us"`
	P99LagUS float64 `json:"p99_lag_us"`
	// P50LagUS and MeanLagUS: how late a typical request left its slot;
	// absent from files written before they were.
	P50LagUS    float64 `json:"p50_lag_us,omitempty"`
	MeanLagUS   float64 `json:"mean_lag_us,omitempty"`
	MissAfterUS int64   `json:"miss_after_us"`
}

// Timeseries counts outcomes per interval of IntervalUS from the start.
type Timeseries struct {
	IntervalUS int64   `json:"interval_us"`
	Points     []Point `json:"points"`
}

// Point is one interval of a Timeseries, starting at TUS.
type Point struct {
	TUS      int64 `json:"t_us"`
	Accepted int64 `json:"accepted"`
	Rejected int64 `json:"rejected"`
	Errors   int64 `json:"errors"`
	// Unknown counts the outcomes whose answer never came (absent in
	// files written before it was recorded).
	Unknown int64 `json:"unknown,omitempty"`
}

// Said is what a target said about its limit in its answers, tallied over
// a run: how many rejections told the client when to retry, and the quota
// it declared (RateLimit-Policy, RateLimit-Limit or X-RateLimit-Limit).
type Said struct {
	// Rejected counts the rejections; RejectedWithoutRetry those that gave
	// no Retry-After and no reset: a client cannot tell when to come back.
	Rejected             int64 `json:"rejected"`
	RejectedWithoutRetry int64 `json:"rejected_without_retry"`
	// RetriedRejected counts the requests sent when a Retry-After said
	// they would pass (--honor-retry-after) and rejected again.
	RetriedRejected int64 `json:"retried_rejected,omitempty"`
	// DeclaredQuota and DeclaredWindowUS are the first quota the target
	// declared (0: none; the window 0 when it gave none); QuotaChanges
	// counts the answers that declared another.
	DeclaredQuota    int64 `json:"declared_quota,omitempty"`
	DeclaredWindowUS int64 `json:"declared_window_us,omitempty"`
	QuotaChanges     int64 `json:"quota_changes,omitempty"`
	// RemainingChecked counts the answers checked against the one before
	// them of the same key, when no other request of the key came between
	// the two. RemainingRose counts those whose remaining rose although
	// the promise gives allowance back only at a reset that had not come;
	// RemainingDisagreed those whose decision contradicts the remaining
	// before: admitted when less than a request's cost remained and no
	// reset or refill could have come, or rejected when enough remained
	// (time never takes allowance away). README's "What the API says"
	// gives the rules.
	RemainingChecked   int64 `json:"remaining_checked,omitempty"`
	RemainingRose      int64 `json:"remaining_rose,omitempty"`
	RemainingDisagreed int64 `json:"remaining_disagreed,omitempty"`
}

// RedisCost is what one run cost the Redis server, summed over the masters
// of a Cluster: the differences of INFO commandstats, cpu, memory and
// keyspace from just before the run to just after it, and a census of the
// run's keys after it. The differences are the server's: other clients of
// a shared server add to them. Per-decision figures divide by counts.sent.
type RedisCost struct {
	// Masters counts the servers summed (1 for a single node).
	Masters int `json:"masters"`
	// CommandsByName counts the commands the server ran during the run,
	// by INFO commandstats name, those run by scripts included. INFO (the
	// measurement's own), connection setup (hello, auth, client, select),
	// a Cluster client's topology queries (cluster, command, readonly) and
	// replicas' acknowledgements (replconf) are left out of it and of
	// every figure below.
	CommandsByName map[string]int64 `json:"commands_by_name"`
	// Commands counts them all; ScriptCalls the calls of scripts (eval,
	// evalsha, their _ro forms, fcall); ScriptCommands the commands the
	// scripts ran inside: every other command when the run called
	// scripts, since rlbench's scripted limiters send nothing else; 0
	// when it did not.
	Commands       int64 `json:"commands"`
	ScriptCalls    int64 `json:"script_calls"`
	ScriptCommands int64 `json:"script_commands"`
	// CommandsPerDecision are the commands the client sent per decision
	// (Commands less ScriptCommands): 1 for a script, 2 to 4 for the seed
	// variants. ScriptCommandsPerDecision are those the scripts ran.
	CommandsPerDecision       float64 `json:"commands_per_decision"`
	ScriptCommandsPerDecision float64 `json:"script_commands_per_decision"`
	// CPUUS is the server's CPU time (used_cpu_sys + used_cpu_user) over
	// the run, in microseconds, its cron included; CPUUSPerDecision is per
	// decision.
	CPUUS            int64   `json:"cpu_us"`
	CPUUSPerDecision float64 `json:"cpu_us_per_decision"`
	// UsedMemoryDelta is the change of used_memory, in bytes, and
	// KeysDelta that of the keys (INFO keyspace); MemoryPerKey is the one
	// over the other, 0 when no key was added.
	UsedMemoryDelta int64   `json:"used_memory_delta"`
	KeysDelta       int64   `json:"keys_delta"`
	MemoryPerKey    float64 `json:"memory_per_key"`
	// Keys counts the run's keys present after it; KeysWithoutTTL those
	// that never expire; KeysPastTTL those whose remaining TTL (PTTL) is
	// longer than LongestTTLUS, the longest TTL the algorithm sets for the
	// run's limit, so that they will outlive their state. Both must be 0.
	Keys           int64 `json:"keys"`
	KeysWithoutTTL int64 `json:"keys_without_ttl"`
	KeysPastTTL    int64 `json:"keys_past_ttl"`
	LongestTTLUS   int64 `json:"longest_ttl_us"`
	// MemoryUsageSampled counts the run's keys measured with MEMORY USAGE
	// (at most MaxMemoryUsageSample per master, every element sampled),
	// MemoryUsagePerKey their mean in bytes. Members counts the elements
	// of those that are sorted sets or lists (the sliding logs, the seed's
	// list) and MemoryPerMember is their MEMORY USAGE over it, the key's
	// own overhead included.
	MemoryUsageSampled int64   `json:"memory_usage_sampled"`
	MemoryUsagePerKey  float64 `json:"memory_usage_per_key"`
	Members            int64   `json:"members"`
	MemoryPerMember    float64 `json:"memory_per_member"`
}

// MaxMemoryUsageSample is how many of a run's keys, per master, the
// census measures with MEMORY USAGE.
const MaxMemoryUsageSample = 20

// Simulation is the cost of a run of rlbench simulate: the wall time its
// decisions took and the decisions per second that makes. Its other
// figures are in virtual time.
type Simulation struct {
	WallUS        int64   `json:"wall_us"`
	DecisionsPerS float64 `json:"decisions_per_s"`
}
