package main

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/bench"
	"github.com/rlbench/rlbench/internal/redisconn"
	"github.com/rlbench/rlbench/report"
	"github.com/rlbench/rlbench/target/httptarget"
	"github.com/rlbench/rlbench/workload"
)

// Exit statuses, as ARCHITECTURE.md fixes them.
const (
	exitOK          = 0
	exitFailure     = 1 // a run failed: unreachable Redis, requests that errored
	exitUsage       = 2 // bad usage or bad input: nothing was run
	exitInterrupted = 130
)

// usageError is bad usage or bad input, found before anything ran.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// interruptedError is a run cut short by a signal; its results were printed.
type interruptedError struct{ detail string }

func (e interruptedError) Error() string {
	return "interrupted; the results above are partial (" + e.detail + ")"
}

// exitCode maps an error from a command to the process's exit status.
func exitCode(err error) int {
	var usage usageError
	var interrupted interruptedError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &interrupted):
		return exitInterrupted
	case errors.As(err, &usage),
		errors.Is(err, redisconn.ErrBadURL),
		errors.Is(err, redisconn.ErrFault),
		errors.Is(err, redisconn.ErrBadTLS),
		errors.Is(err, algorithms.ErrUnknownAlgorithm),
		errors.Is(err, algorithms.ErrInvalidLimit),
		errors.Is(err, workload.ErrInvalidConfig):
		return exitUsage
	}
	return exitFailure
}

// connectError adds to a failed connection what to do about it from the
// command line: the flag that sized the pool (if any), for a server at its
// client limit; the TLS or password flags, for a server that refused.
func connectError(err error, poolFlag string) error {
	switch {
	case errors.Is(err, redisconn.ErrMaxClients) && poolFlag != "":
		return fmt.Errorf("%w; lower %s or raise maxclients on the server", err, poolFlag)
	case errors.Is(err, redisconn.ErrUntrusted):
		return fmt.Errorf("%w; give the CA that signed it with --tls-ca FILE, or skip the check with --tls-insecure", err)
	case errors.Is(err, redisconn.ErrClientCertificate):
		return fmt.Errorf("%w; give one with --tls-cert FILE --tls-key FILE", err)
	case errors.Is(err, redisconn.ErrNoPassword):
		return fmt.Errorf("%w; give it in the URL, with --redis-password-file FILE or in $%s", err, passwordEnv)
	}
	return err
}

// flagWords names a library's fields the way rlbench's users set them:
// the field of a workload.FieldError is the flag of the same name. It is
// the one place where library errors become flag errors.
func flagWords(err error) error {
	var field *workload.FieldError
	if errors.As(err, &field) {
		named := *field
		named.Field = "--" + field.Field
		return usageError{&named}
	}
	var httpField *httptarget.FieldError
	if errors.As(err, &httpField) {
		named := *httpField
		named.Field = "--" + httpField.Field
		if httpField.Field == "url" {
			named.Field = "--target"
		}
		return usageError{&named}
	}
	return err
}

// oneLine keeps an error on one line of stderr, whatever a library put in it.
func oneLine(msg string) string {
	return strings.Join(strings.Fields(msg), " ")
}

// flagError turns pflag's parse errors into usage errors that name the
// flag, the value and what is accepted.
func flagError(cmd *cobra.Command, err error) error {
	help := fmt.Sprintf("see %s --help", cmd.CommandPath())
	var invalid *pflag.InvalidValueError
	if errors.As(err, &invalid) {
		switch invalid.GetFlag().Value.(type) {
		case *algoFlag, *workloadFlag, *workloadsFlag, *keyDistFlag, *tierFlag, *sweepFlag, *roleFlag, *faultFlag, instantFlag, *clientsFlag, *oracleFlag:
			// rlbench's own flag values say what they accept.
			return usageErrorf("invalid --%s %q: %v", invalid.GetFlag().Name, invalid.GetValue(), invalid.Unwrap())
		}
		flagType := invalid.GetFlag().Value.Type()
		if num := (*strconv.NumError)(nil); errors.As(err, &num) && num.Err == strconv.ErrRange {
			return usageErrorf("invalid --%s %q: out of range, want %s", invalid.GetFlag().Name, invalid.GetValue(), inRange(flagType))
		}
		if flagType == "duration" && bench.DurationSyntax.MatchString(invalid.GetValue()) {
			// Well formed, yet time.ParseDuration refused it: past int64 nanoseconds.
			most := "8784h (366 days)"
			if strings.HasPrefix(invalid.GetFlag().Name, "clock-skew") {
				most = "24h"
			}
			return usageErrorf("invalid --%s %q: out of range, want at most %s", invalid.GetFlag().Name, invalid.GetValue(), most)
		}
		return usageErrorf("invalid --%s %q: want %s", invalid.GetFlag().Name, invalid.GetValue(), accepted(flagType))
	}
	return usageErrorf("%v (%s)", err, help)
}

// accepted says in words what a flag of a pflag type takes.
func accepted(flagType string) string {
	switch flagType {
	case "duration":
		return "a duration with a unit, such as 600s, 1m or 500ms"
	case "int", "int64":
		return "a whole number"
	case "uint64":
		return "a whole number, 0 or more"
	case "float64":
		return "a number"
	case "bool":
		return "true or false"
	}
	return "a " + flagType
}

// inRange says what a numeric flag of a pflag type takes, for a value
// beyond its type's range.
func inRange(flagType string) string {
	switch flagType {
	case "int", "int64":
		return fmt.Sprintf("a whole number up to %d", int64(math.MaxInt64))
	case "uint64":
		return fmt.Sprintf("a whole number up to %d", uint64(math.MaxUint64))
	case "float64":
		return fmt.Sprintf("a number up to %g", math.MaxFloat64)
	}
	return accepted(flagType)
}

// noArgs rejects positional arguments on commands that take only flags.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		if fl := cmd.Flags().Lookup("oracle"); fl != nil && fl.Changed && slices.Contains(report.OraclePolicies, args[0]) {
			return usageErrorf("unexpected argument %q: name the oracle's policy with an equals sign, --oracle=%s", args[0], args[0])
		}
		return usageErrorf("unexpected argument %q: %s takes flags only (see %s --help)", args[0], cmd.CommandPath(), cmd.CommandPath())
	}
	return nil
}

// unknownCommand is the root's argument check: cobra's own adds its
// suggestions on extra lines.
func unknownCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	msg := fmt.Sprintf("unknown command %q: commands are %s", args[0], strings.Join(names, ", "))
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf("; did you mean %s?", strings.Join(s, " or "))
	}
	return usageErrorf("%s", msg)
}
