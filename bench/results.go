package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/report"
	"github.com/rlbench/rlbench/workload"
	"github.com/rlbench/rlbench/workload/trace"
)

// NewFile describes a plan about to run: everything but its runs. It records the settings each workload uses and no others,
// so that a results file never shows a rate that shaped nothing.
func NewFile(opts *Load, algorithmNames, workloads []string, target report.Target, seed uint64, toolVersion string) *report.File {
	clock := "server"
	var skew int64
	if opts.ClientClock {
		clock, skew = "client", opts.ClockSkewAllowance.Microseconds()
	}
	cfg := report.Config{
		Algorithms:           algorithmNames,
		Workload:             strings.Join(workloads, ","),
		Requests:             opts.Requests,
		DurationUS:           opts.Duration.Microseconds(),
		TimeoutUS:            opts.Timeout.Microseconds(),
		IntervalUS:           opts.Interval.Microseconds(),
		Keys:                 opts.Keys,
		KeyDist:              opts.KeyDist,
		Limit:                ReportLimit(opts.Limit),
		Clock:                clock,
		ClockSkewAllowanceUS: skew,
		Seed:                 seed,
		HonorRetryAfter:      opts.HonorRetryAfter,
	}
	if opts.Oracle != workload.OracleNone {
		cfg.Oracle = opts.Oracle
	}
	if opts.KeyDist == "zipf" {
		cfg.ZipfS = opts.ZipfS
	}
	for _, w := range workloads {
		if w == Closed {
			cfg.Concurrency = opts.Concurrency
			cfg.Pipeline = pipelineOf(w, opts.Pipeline)
		} else {
			cfg.MaxInflight = opts.MaxInflight
			cfg.MissAfterUS = opts.MissAfter.Microseconds()
		}
		switch w {
		case Steady, Poisson:
			cfg.Rate = opts.Rate
		case Ramp:
			cfg.Rate, cfg.RateStart = opts.Rate, opts.RateStart
		case Bursty:
			cfg.BaseRate, cfg.BurstSize, cfg.BurstEveryUS = opts.BaseRate, opts.BurstSize, opts.BurstEvery.Microseconds()
		case WindowEdge:
			cfg.BurstSize, cfg.EdgeOffsetUS = opts.BurstSize, opts.EdgeOffset.Microseconds()
		case Trace:
			if t := opts.Trace; t != nil {
				cfg.Trace = &report.Trace{Path: t.Path, SHA256: t.SHA256, Lines: t.Lines, Keys: t.Keys(), Speed: opts.TraceSpeed}
				if len(workloads) == 1 {
					cfg.Keys, cfg.KeyDist = t.Keys(), Trace
				}
			}
		case Synthetic:
			cfg.Synthetic = reportSynthetic(opts.Synthetic, seed)
			if len(workloads) == 1 {
				cfg.Keys, cfg.KeyDist = opts.Synthetic.Sources, Synthetic
			}
		}
	}
	if opts.ClockGroups > 0 {
		cfg.ClockSkewUS, cfg.ClockGroups, cfg.ClockBlock = opts.ClockSkew.Microseconds(), opts.ClockGroups, opts.ClockBlock
	}
	for _, f := range opts.Faults {
		cfg.Faults = append(cfg.Faults, f.String())
	}
	for _, t := range opts.Tiers {
		cfg.Tiers = append(cfg.Tiers, report.Tier{Name: t.Name, Limit: ReportLimit(t.Limit), Share: t.Share})
	}
	// Named, or random per session, so that a merge tells two generators apart.
	id := opts.GeneratorID
	if id == "" {
		id = fmt.Sprintf("%016x", rand.Uint64())
	}
	cfg.GeneratorID = opts.GeneratorID
	if !opts.StartAt.IsZero() {
		cfg.StartAt = opts.StartAt.UTC()
	}
	return &report.File{
		GeneratorID:   id,
		SchemaVersion: report.SchemaVersion,
		Tool:          report.Tool{Name: "rlbench", Version: toolVersion, Go: runtime.Version()},
		Host:          report.Host{OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU()},
		Target:        target,
		Config:        cfg,
		StartedAt:     time.Now().UTC(),
		EndReason:     report.EndCompleted,
	}
}

func ReportLimit(l algorithms.Limit) report.Limit {
	return report.Limit{Requests: l.Requests, WindowUS: l.Window.Microseconds(), Burst: l.Burst}
}

// ReportRun turns the result of run r, made with cfg, into its row of the
// results file, with the schedule it kept.
func ReportRun(res workload.Result, r Run, cfg workload.Config, missAfter time.Duration) report.Run {
	run := report.Run{
		Algorithm:   res.Algorithm,
		Workload:    r.Workload,
		Schedule:    schedule(cfg),
		Repeat:      r.Repeat,
		Limit:       ReportLimit(r.Limit),
		ClockSkewUS: r.ClockSkew.Microseconds(),
		Counts: report.Counts{
			Sent: res.Sent, Accepted: res.Accepted, Rejected: res.Rejected, Errors: res.Errors,
			Missed: res.Missed, ErrorsByClass: res.ErrorsByClass,
			Waited: res.Waited, WaitedUS: res.WaitedFor.Microseconds(),
			Unknown: res.Unknown, UnknownByClass: res.UnknownByClass,
		},
		Rates: report.Rates{
			OfferedPerS:  finite(res.Offered()),
			AchievedPerS: finite(res.Throughput()),
			AcceptedPerS: finite(perSecond(res.Accepted, res.Elapsed)),
		},
		Latency: report.Latency{
			ResponseUS: percentiles(res.Latency),
			ServiceUS:  percentiles(res.Service),
			OverRange:  res.OverRange,
		},
		Generator: report.Generator{
			Behind:      res.Behind(),
			MaxLagUS:    float64(res.Lag.Max()) / 1e3,
			P99LagUS:    float64(res.Lag.ValueAtQuantile(99)) / 1e3,
			P50LagUS:    float64(res.Lag.ValueAtQuantile(50)) / 1e3,
			MeanLagUS:   res.Lag.Mean() / 1e3,
			MissAfterUS: missAfter.Microseconds(),
		},
		Timeseries: report.Timeseries{IntervalUS: res.Interval.Microseconds()},
		StartedAt:  res.Start.UTC(),
		ElapsedUS:  res.Elapsed.Microseconds(),
		EndReason:  report.EndCompleted,
		EndedBy:    res.EndedBy,
	}
	// Every per-key figure of the row comes from one key, the worst.
	run.Accuracy = report.Summarise(res.Accuracy.PerKey)
	run.Accuracy.LongRunAcceptedPerS = finite(perSecond(res.Accepted, res.Elapsed))
	run.Accuracy.ConfiguredPerS = finite(res.Accuracy.ConfiguredPerS)
	run.Admissions = res.Accuracy.Kept
	if res.Interrupted {
		run.EndReason = report.EndInterrupted
	}
	if encoded, err := res.Latency.Encode(hdrhistogram.V2CompressedEncodingCookieBase); err == nil {
		run.Latency.Histogram = string(encoded)
	}
	if encoded, err := res.Service.Encode(hdrhistogram.V2CompressedEncodingCookieBase); err == nil {
		run.Latency.ServiceHistogram = string(encoded)
	}
	for _, p := range res.Timeseries {
		run.Timeseries.Points = append(run.Timeseries.Points, report.Point{
			TUS: p.Offset.Microseconds(), Accepted: p.Accepted, Rejected: p.Rejected, Errors: p.Errors, Unknown: p.Unknown,
		})
	}
	return run
}

// reportSynthetic is the results file's record of a generator's
// parameters, the run's seed standing for a zero Seed.
func reportSynthetic(p trace.Params, seed uint64) *report.Synthetic {
	if p.Seed == 0 {
		p.Seed = seed
	}
	us := func(d time.Duration) int64 { return d.Microseconds() }
	return &report.Synthetic{
		Seed: p.Seed, Sources: p.Sources, DurationUS: us(p.Duration), Rate: p.Rate, RateZipf: p.RateZipf,
		OnMeanUS: us(p.OnMean), OffMeanUS: us(p.OffMean), ParetoAlpha: p.ParetoAlpha,
		Diurnal: p.Diurnal, DiurnalPeriodUS: us(p.DiurnalPeriod), Abusive: p.Abusive, AbusiveRate: p.AbusiveRate,
	}
}

// schedule says how a run sent its requests: its pacer ("steady
// 2000/s", "bursty 100 every 50ms"), or the closed model's workers.
func schedule(cfg workload.Config) string {
	if cfg.Replay != nil {
		return cfg.Replay.String()
	}
	if cfg.Pacer != nil {
		return cfg.Pacer.String()
	}
	s := fmt.Sprintf("closed, %d %s", cfg.Concurrency, report.Plural(int64(cfg.Concurrency), "worker"))
	if cfg.Pipeline > 1 {
		s += fmt.Sprintf(", pipeline %d", cfg.Pipeline)
	}
	return s
}

// pipelineOf is the pipeline of a run of the named workload: the load's
// for the closed model, which alone sends batches, else 0.
func pipelineOf(workload string, pipeline int) int {
	if workload != Closed || pipeline <= 1 {
		return 0
	}
	return pipeline
}

// percentiles summarises a histogram of nanoseconds in microseconds.
func percentiles(h *hdrhistogram.Histogram) report.Percentiles {
	if h == nil || h.TotalCount() == 0 {
		return report.Percentiles{}
	}
	us := func(ns int64) float64 { return float64(ns) / 1e3 }
	return report.Percentiles{
		Mean: finite(h.Mean() / 1e3),
		P50:  us(h.ValueAtQuantile(50)),
		P90:  us(h.ValueAtQuantile(90)),
		P99:  us(h.ValueAtQuantile(99)),
		P999: us(h.ValueAtQuantile(99.9)),
		Max:  us(h.Max()),
	}
}

func perSecond(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// finite keeps NaN and infinities, which JSON cannot hold, out of results.
func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}
