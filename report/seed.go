package report

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/rlbench/rlbench/algorithms"
)

// The seed-style table is the benchmark table of the demo rlbench started
// from (docs/seed.md), in its own form, with the seed's claimed figures
// beside the measured ones. Table and Markdown print it above the runs
// when the file holds a bench.

// hasSeedTable reports whether f holds a bench, whose renderings open with
// the seed-style table: "rlbench bench" lists its workloads in the
// configuration, "rlbench run" does not.
func hasSeedTable(f *File) bool { return len(f.Config.Workloads) > 0 && len(f.Runs) > 0 }

// seedClaim is what the seed's README claimed for an algorithm: the
// latency, in µs, and where the figure came from when not its README.
type seedClaim struct {
	claimedUS int
	note      string
}

// seedClaims are the seed README's figures (docs/seed.md); an algorithm
// without one shows its measured figure alone.
var seedClaims = map[string]seedClaim{
	"fixed":        {120, ""},
	"sliding":      {150, ""},
	"token":        {140, "an older README"},
	"leaky":        {130, ""},
	"seed-fixed":   {120, "the seed's own code"},
	"seed-sliding": {150, "the seed's own code"},
	"seed-leaky":   {130, "the seed's own code"},
}

// writeSeedTable prints the seed's benchmark table in its own form, from
// the first workload's runs (the median of the repetitions' means), with a
// ✘ where an algorithm admitted more than its bound in any run. Its
// latency is service time, what one decision takes, as the seed's figures
// were; response time, which adds the generator's own lag, is in the table.
func writeSeedTable(w io.Writer, f *File) error {
	if len(f.Runs) == 0 {
		return nil
	}
	first := f.Runs[0].Workload
	firstLimit := f.Runs[0].Limit
	var order []string
	means := map[string][]float64{}
	cmds, inScript := map[string][]float64{}, map[string][]float64{}
	over := map[string]int64{}
	for _, r := range f.Runs {
		over[r.Algorithm] += r.Accuracy.OverAdmitted
		if r.Workload != first || r.Limit != firstLimit || r.Counts.Sent == 0 {
			continue
		}
		if _, ok := means[r.Algorithm]; !ok {
			order = append(order, r.Algorithm)
		}
		means[r.Algorithm] = append(means[r.Algorithm], r.Latency.ServiceUS.Mean)
		if c := r.RedisCost; c != nil {
			cmds[r.Algorithm] = append(cmds[r.Algorithm], c.CommandsPerDecision)
			inScript[r.Algorithm] = append(inScript[r.Algorithm], c.ScriptCommandsPerDecision)
		}
	}
	var b strings.Builder
	fmt.Fprintln(&b, seedTableTitle(f, first, firstLimit))
	fmt.Fprintln(&b, strings.Repeat("-", 55))
	width := 0
	for _, a := range order {
		width = max(width, len([]rune(seedTitle(a))))
	}
	for _, a := range order {
		claim := seedClaims[a]
		mark := "✔"
		if over[a] > 0 {
			mark = "✘"
		}
		measured := Median(means[a])
		line := fmt.Sprintf("%s %-*s → %5.0fμs avg latency, %s", mark, width, seedTitle(a), measured, seedCost(a))
		if len(cmds[a]) > 0 {
			line += " " + measuredCost(Median(cmds[a]), Median(inScript[a]))
		}
		switch {
		case claim.claimedUS > 0 && claim.note != "":
			line += fmt.Sprintf("   (seed claimed %dμs: %s)", claim.claimedUS, claim.note)
		case claim.claimedUS > 0:
			line += fmt.Sprintf("   (seed claimed %dμs)", claim.claimedUS)
		}
		if over[a] > 0 {
			line += fmt.Sprintf("; admitted %d above its bound", over[a])
		}
		fmt.Fprintln(&b, line)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// seedTableTitle is the seed's title line, "Rate Limiter Performance
// (Benchmark @ 10,000 requests, steady at 2000/s, redis 7.0.15):", saying
// what the table's runs sent and how, and which limit when the runs had
// several (a sweep).
func seedTableTitle(f *File, workload string, lim Limit) string {
	lo, hi := int64(math.MaxInt64), int64(0)
	for _, r := range f.Runs {
		if r.Workload == workload && r.Limit == lim && r.Counts.Sent > 0 {
			lo, hi = min(lo, r.Counts.Sent), max(hi, r.Counts.Sent)
		}
	}
	sent := thousands(hi) + " " + Plural(hi, "request")
	if lo < hi {
		sent = thousands(lo) + " to " + sent
	}
	parts := []string{"Benchmark @ " + sent, f.Config.Shape(workload)}
	if len(limits(f.Runs)) > 1 {
		parts = append(parts, "limit "+lim.String())
	}
	parts = append(parts, strings.TrimSpace(f.Target.Kind+" "+f.Target.ServerVersion))
	return "Rate Limiter Performance (" + strings.Join(parts, ", ") + "):"
}

// seedTitle is the algorithm's name in the seed's table.
func seedTitle(algorithm string) string {
	if info, err := algorithms.Lookup(algorithm); err == nil {
		return info.Title
	}
	return algorithm
}

// seedCost is what a decision costs Redis, as the seed's table says it.
func seedCost(algorithm string) string {
	if info, err := algorithms.Lookup(algorithm); err == nil {
		return info.Cost
	}
	return ""
}

// thousands writes 10000 as 10,000, as the seed did.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// measuredCost is what rlbench measured a decision to cost Redis, beside
// what the seed said: "[measured: 1 command, 2.1 in its script]".
func measuredCost(commands, inScript float64) string {
	n := strconv.FormatFloat(commands, 'g', 3, 64)
	s := "[measured: " + n
	if n == "1" {
		s += " command"
	} else {
		s += " commands"
	}
	if inScript > 0 {
		s += ", " + strconv.FormatFloat(inScript, 'g', 3, 64) + " in its script"
	}
	return s + "]"
}
