package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rlbench/rlbench/internal/redisconn"
	"github.com/rlbench/rlbench/report/formats"
)

// GlobalOptions are the flags every command shares.
type GlobalOptions struct {
	// RedisURL is --redis, else $REDIS_URL; "" means an embedded miniredis.
	RedisURL string
	// Connection is how to reach it: TLS and the password.
	Connection ConnectionOptions
	// Cluster is --cluster: open RedisURL as a Redis Cluster even when
	// the server does not say it is one.
	Cluster bool
	// Quiet leaves only results on stdout and no progress on stderr.
	Quiet bool
	// Format is how results are printed: one of formats.Names.
	Format string
	// Seed makes randomness repeatable; 0 means a random seed, recorded
	// in the results.
	Seed uint64
	// Clients is --client: the Redis clients the limiters decide
	// through, each algorithm through each in turn.
	Clients clientsFlag
}

// Main runs rlbench with io and returns the process's exit status. Errors
// are printed here, once, as one line on io.Err prefixed "rlbench: ".
func Main(io IO) int {
	err := flagWords(newCmdRoot(io, nil).Execute())
	if err != nil {
		fmt.Fprintln(io.Err, "rlbench: "+oneLine(err.Error()))
	}
	return exitCode(err)
}

// newCmdRoot builds the command tree. runF, when not nil, replaces the run
// command's work, so that tests can check what the flags parse to.
func newCmdRoot(io IO, runF func(*RunOptions) error) *cobra.Command {
	global := &GlobalOptions{}
	root := &cobra.Command{
		Use:   "rlbench",
		Short: "Load-test and benchmark Redis-backed rate limiters",
		Long: `rlbench measures Redis-backed rate limiters for speed (latency per decision,
throughput) and, as it grows, for accuracy (what each algorithm really admits).

With no --redis and no REDIS_URL it runs on an embedded miniredis, so it
works with nothing installed; point it at a real Redis to measure, or
use --redis local to have it start (and stop) a redis-server itself.`,
		Example: `  rlbench run --algo sliding
  rlbench bench --redis local
  rlbench run --algo all --requests 640 --concurrency 64 --limit 100 --window 600s
  REDIS_URL=redis://localhost:6379/0 rlbench run --algo fixed,seed-fixed`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          unknownCommand,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
		// REDIS_URL is read here rather than used as the flag's default so
		// that --help never prints a password from the environment.
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("redis") {
				global.RedisURL = io.Getenv("REDIS_URL")
			}
			if global.Cluster && (global.RedisURL == "" || global.RedisURL == redisconn.Local) {
				return usageErrorf("--cluster needs a redis:// or rediss:// URL in --redis (or REDIS_URL); for a cluster rlbench starts itself, use --redis %s", redisconn.LocalCluster)
			}
			if !slices.Contains(formats.Names(), global.Format) {
				return usageErrorf("invalid --format %q: want one of %s", global.Format, strings.Join(formats.Names(), ", "))
			}
			warnUnusedGlobals(cmd, io)
			return nil
		},
	}
	root.SetArgs(io.Args)
	root.SetOut(io.Out)
	root.SetErr(io.Err)
	root.SetFlagErrorFunc(flagError)
	root.CompletionOptions.HiddenDefaultCmd = false // list `completion` in help: shell completion is a feature
	root.SuggestionsMinimumDistance = 2

	pf := root.PersistentFlags()
	pf.StringVar(&global.RedisURL, "redis", "", "Redis `URL`, redis:// or rediss:// (a Redis Cluster is detected; more seed nodes as addr=host:port parameters), or redis-sentinel://[user:password@]host:port[,host:port...]/MASTER-NAME for Sentinel; \"local\" to start a redis-server from PATH for the run, \"local-cluster\" a cluster of 3 masters and 3 replicas, \"local-sentinel\" a master, a replica and 3 sentinels (default $REDIS_URL, else an embedded miniredis)")
	addConnectionFlags(pf, &global.Connection)
	global.Clients = clientsFlag{redisconn.ClientGoRedis}
	pf.Var(&global.Clients, "client", "Redis `client` the limiters decide through: "+strings.Join(redisconn.Clients(), " or ")+"; several comma-separated (go-redis,rueidis) run each algorithm through each in turn, named client:algorithm")
	pf.BoolVar(&global.Cluster, "cluster", false, "open --redis as a Redis Cluster even when the server does not say it is one (INFO cluster)")
	pf.BoolVarP(&global.Quiet, "quiet", "q", false, "print only the results: no progress display")
	pf.StringVar(&global.Format, "format", "table", "how to print results: "+strings.Join(formats.Names(), ", "))
	pf.Uint64Var(&global.Seed, "seed", 0, "seed for every random choice (poisson arrivals, keys); 0 picks one and records it")

	root.AddCommand(
		NewCmdRun(io, global, runF),
		NewCmdSimulate(io, global, nil),
		NewCmdBench(io, global, nil),
		NewCmdReport(io, global),
		NewCmdCompare(io),
		NewCmdServe(io, global, nil),
		NewCmdLocalRedis(io, global, nil),
		NewCmdTrace(io, global),
		NewCmdVersion(io),
	)
	return root
}

// usesGlobals is the annotation that lists the global flags a command
// reads, such as "redis seed format"; a command without it (help,
// completion) is not checked.
const usesGlobals = "rlbench/uses-globals"

// warnUnusedGlobals warns, on one line each, of global flags given to a
// command that ignores them. They are warned of rather than refused: a
// global flag is set once for every command, as in an alias.
func warnUnusedGlobals(cmd *cobra.Command, io IO) {
	uses, checked := cmd.Annotations[usesGlobals]
	if !checked {
		return
	}
	for _, name := range append([]string{"redis", "cluster", "client", "seed", "format"}, connectionFlags...) {
		group := name
		if name == "cluster" || name == "client" || slices.Contains(connectionFlags, name) {
			group = "redis" // how to reach --redis
		}
		if cmd.Flags().Changed(name) && !slices.Contains(strings.Fields(uses), group) {
			fmt.Fprintf(io.Err, "rlbench: warning: %s ignores --%s\n", cmd.CommandPath(), name)
		}
	}
}
