package main

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/bench"
	"github.com/rlbench/rlbench/internal/redisconn"
	"github.com/rlbench/rlbench/report"
	"github.com/rlbench/rlbench/workload"
)

// The typed flag values: each checks its value as it is parsed, so that a
// bad one stops at the flag with what is accepted (flagError words it),
// and options hold parsed values rather than strings to parse later.

// algoFlag is --algo: algorithm names, "all" expanded, in order.
type algoFlag struct {
	names []string
	text  string
}

func newAlgoFlag(def string) *algoFlag {
	f := &algoFlag{}
	if err := f.Set(def); err != nil {
		panic(err) // a default that does not parse is a bug
	}
	return f
}

func (f *algoFlag) Set(s string) error {
	names, err := algorithms.ParseNames(s)
	if err != nil {
		return err
	}
	f.names, f.text = names, s
	return nil
}

func (f *algoFlag) String() string { return f.text }
func (f *algoFlag) Type() string   { return "algorithms" }

// add appends names not already there, for --include-seed.
func (f *algoFlag) add(names ...string) {
	for _, n := range names {
		if !slices.Contains(f.names, n) {
			f.names = append(f.names, n)
		}
	}
}

// workloadFlag is --workload of run: one workload.
type workloadFlag string

func (f *workloadFlag) Set(s string) error {
	if !bench.IsWorkload(s) {
		return fmt.Errorf("want one of %s", strings.Join(bench.WorkloadNames(), ", "))
	}
	*f = workloadFlag(s)
	return nil
}

func (f *workloadFlag) String() string { return string(*f) }
func (f *workloadFlag) Type() string   { return "workload" }

// workloadsFlag is --workload of bench: workloads, in order, once each.
type workloadsFlag []string

func (f *workloadsFlag) Set(s string) error {
	var names []string
	for _, w := range strings.Split(s, ",") {
		w = strings.TrimSpace(w)
		if !bench.IsWorkload(w) {
			return fmt.Errorf("%q is not a workload; want one of %s", w, strings.Join(bench.WorkloadNames(), ", "))
		}
		if !slices.Contains(names, w) {
			names = append(names, w)
		}
	}
	*f = names
	return nil
}

func (f *workloadsFlag) String() string { return strings.Join(*f, ",") }
func (f *workloadsFlag) Type() string   { return "workloads" }

// keyDistFlag is --key-dist: uniform or zipf.
type keyDistFlag string

func (f *keyDistFlag) Set(s string) error {
	if s != "uniform" && s != "zipf" {
		return errors.New("want uniform or zipf")
	}
	*f = keyDistFlag(s)
	return nil
}

func (f *keyDistFlag) String() string { return string(*f) }
func (f *keyDistFlag) Type() string   { return "distribution" }

// instantFlag is --start-at: an RFC 3339 time, fractional seconds allowed.
type instantFlag struct{ t *time.Time }

func (f instantFlag) Set(s string) error {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return errors.New("want an RFC 3339 time with its zone, such as 2026-12-02T16:00:00Z or 2026-12-02T17:00:00.5+01:00")
	}
	*f.t = t
	return nil
}

func (f instantFlag) String() string {
	if f.t == nil || f.t.IsZero() {
		return ""
	}
	return f.t.Format(time.RFC3339Nano)
}

func (f instantFlag) Type() string { return "time" }

// tierFlag is --tier, repeated: each a share of the keys with its limit.
type tierFlag []workload.Tier

func (f *tierFlag) Set(s string) error {
	t, err := workload.ParseTier(s)
	if err != nil {
		var field *workload.FieldError
		if errors.As(err, &field) {
			return errors.New(field.Want)
		}
		return err
	}
	*f = append(*f, t)
	return nil
}

func (f *tierFlag) String() string {
	parts := make([]string, len(*f))
	for i, t := range *f {
		parts[i] = t.String()
	}
	return strings.Join(parts, ",")
}

func (f *tierFlag) Type() string { return "tier" }

// faultFlag is --fault, repeated: faults to inject into every run.
type faultFlag []bench.Fault

func (f *faultFlag) Set(s string) error {
	fault, err := bench.ParseFault(s)
	if err != nil {
		return err
	}
	*f = append(*f, fault)
	return nil
}

func (f *faultFlag) String() string {
	parts := make([]string, len(*f))
	for i, fault := range *f {
		parts[i] = fault.String()
	}
	return strings.Join(parts, ",")
}

func (f *faultFlag) Type() string { return "fault" }

// sweepFlag is --sweep limit=N,N,... (the limits a bench repeats its
// matrix for, each at least 1, at most maxLimit) or --sweep
// clock-skew=D,D,... (the clock skews, each 0 to maxClockSkew), every value
// given once.
type sweepFlag struct {
	limits []int64
	skews  []time.Duration
	text   string
}

func (f *sweepFlag) Set(s string) error {
	name, list, ok := strings.Cut(s, "=")
	if !ok || (name != "limit" && name != "clock-skew") {
		return errors.New("want limit=N,N,... or clock-skew=D,D,..., such as limit=10,100,1000,10000 or clock-skew=0,1ms,10ms,100ms,1s")
	}
	if name == "clock-skew" {
		return f.setSkews(s, list)
	}
	var limits []int64
	for _, v := range strings.Split(list, ",") {
		v = strings.TrimSpace(v)
		n, err := strconv.ParseInt(v, 10, 64)
		switch {
		case err == nil && n > maxLimit, errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(v, "-"):
			return fmt.Errorf("%q is out of range, want limits up to 1e15", v)
		case err != nil || n < 1:
			return fmt.Errorf("%q is not a limit of at least 1; want limit=N,N,...", v)
		case slices.Contains(limits, n):
			return fmt.Errorf("limit %d is given twice; want each limit once", n)
		}
		limits = append(limits, n)
	}
	f.limits, f.skews, f.text = limits, nil, s
	return nil
}

// setSkews reads the durations of clock-skew=D,D,...
func (f *sweepFlag) setSkews(s, list string) error {
	var skews []time.Duration
	for _, v := range strings.Split(list, ",") {
		v = strings.TrimSpace(v)
		d, err := time.ParseDuration(v)
		switch {
		case err != nil && !bench.DurationSyntax.MatchString(v), err == nil && d < 0:
			return fmt.Errorf("%q is not a clock skew of 0 or more, such as 10ms; want clock-skew=D,D,...", v)
		case err != nil, d > maxClockSkew:
			return fmt.Errorf("%q is out of range, want clock skews up to 24h", v)
		case slices.Contains(skews, d):
			return fmt.Errorf("clock skew %v is given twice; want each skew once", d)
		}
		skews = append(skews, d)
	}
	f.limits, f.skews, f.text = nil, skews, s
	return nil
}

func (f *sweepFlag) String() string { return f.text }
func (f *sweepFlag) Type() string   { return "sweep" }

// clientsFlag is --client: the Redis clients to decide through, in
// order, once each.
type clientsFlag []string

func (f *clientsFlag) Set(s string) error {
	var names []string
	for _, c := range strings.Split(s, ",") {
		c = strings.TrimSpace(c)
		if !slices.Contains(redisconn.Clients(), c) {
			want := "want " + strings.Join(redisconn.Clients(), ", ") + ", or several comma-separated"
			if c == s {
				return errors.New(want)
			}
			return fmt.Errorf("%q is not a client; %s", c, want)
		}
		if !slices.Contains(names, c) {
			names = append(names, c)
		}
	}
	*f = names
	return nil
}

func (f *clientsFlag) String() string { return strings.Join(*f, ",") }
func (f *clientsFlag) Type() string   { return "clients" }

// oracleFlag is --oracle: the exact policy every decision is judged by,
// sliding when given alone, none for no oracle.
type oracleFlag string

func (f *oracleFlag) Set(s string) error {
	if s != workload.OracleNone && !slices.Contains(report.OraclePolicies, s) {
		return fmt.Errorf("want %s or %s", strings.Join(report.OraclePolicies, ", "), workload.OracleNone)
	}
	*f = oracleFlag(s)
	return nil
}

func (f *oracleFlag) String() string { return string(*f) }
func (f *oracleFlag) Type() string   { return "policy" }
