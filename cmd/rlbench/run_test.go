package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/bench"
	"github.com/rlbench/rlbench/workload"
)

// newTestIO returns an IO on buffers, with env as the environment and an
// Interrupt that only its parent cancels.
func newTestIO(env map[string]string, args ...string) (IO, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return IO{
		Args:   args,
		Out:    &out,
		Err:    &errOut,
		Getenv: func(k string) string { return env[k] },
		Interrupt: func(parent context.Context) (context.Context, context.CancelFunc) {
			return context.WithCancel(parent)
		},
	}, &out, &errOut
}

func TestNewCmdRun(t *testing.T) {
	defaults := RunOptions{
		Global:     &GlobalOptions{Format: "table"},
		Algorithms: []string{"sliding"},
		Workload:   "closed",
		HTTP:       HTTPOptions{Method: "GET", RejectStatus: []int{429}},
		Load: bench.Load{
			Limit:              algorithms.Limit{Requests: 100, Window: time.Minute},
			Rate:               100,
			BurstSize:          100,
			BurstEvery:         time.Minute,
			EdgeOffset:         5 * time.Millisecond,
			Requests:           10000,
			Concurrency:        10,
			MaxInflight:        256,
			Pipeline:           1,
			Key:                "user:1",
			Keys:               1,
			KeyDist:            "uniform",
			ZipfS:              1.1,
			Timeout:            time.Second,
			Interval:           time.Second,
			MissAfter:          10 * time.Millisecond,
			SpinWait:           2 * time.Millisecond,
			ClockSkewAllowance: time.Second,
			TraceSpeed:         1,
			Synthetic:          syntheticDefaults(),
		},
	}
	tests := []struct {
		name   string
		env    map[string]string
		args   []string
		change func(*RunOptions)
	}{
		{name: "defaults", args: nil, change: func(*RunOptions) {}},
		{
			name: "every flag",
			args: []string{"--algo", "fixed,token", "--limit", "50", "--window", "600s", "--burst", "20",
				"--requests", "640", "--concurrency", "64", "--key", "api:7", "--timeout", "250ms", "--client-clock"},
			change: func(o *RunOptions) {
				o.Algorithms = []string{"fixed", "token"}
				o.Limit = algorithms.Limit{Requests: 50, Window: 10 * time.Minute, Burst: 20}
				o.Requests, o.Concurrency, o.Key = 640, 64, "api:7"
				o.Timeout, o.ClientClock = 250*time.Millisecond, true
				o.BurstSize, o.BurstEvery = 50, 10*time.Minute
			},
		},
		{
			name: "open-model flags",
			args: []string{"--workload", "bursty", "--rate", "20", "--burst-size", "7", "--burst-every", "2s",
				"--duration", "5s", "--requests", "0", "--max-inflight", "32", "--interval", "100ms", "--miss-after", "2ms",
				"--keys", "50", "--key-dist", "zipf", "--zipf-s", "1.5", "--tier", "free=10/1s:0.5", "--tier", "pro=20/1s:0.5",
				"-o", "out.json", "--format", "csv", "--seed", "7"},
			change: func(o *RunOptions) {
				o.Workload, o.Rate, o.BaseRate, o.BurstSize, o.BurstEvery = "bursty", 20, 20, 7, 2*time.Second
				o.Duration, o.Requests, o.MaxInflight, o.Interval, o.MissAfter = 5*time.Second, 0, 32, 100*time.Millisecond, 2*time.Millisecond
				o.Keys, o.KeyDist, o.ZipfS = 50, "zipf", 1.5
				o.Tiers = []workload.Tier{
					{Name: "free", Limit: algorithms.Limit{Requests: 10, Window: time.Second}, Share: 0.5},
					{Name: "pro", Limit: algorithms.Limit{Requests: 20, Window: time.Second}, Share: 0.5},
				}
				o.Output = "out.json"
				o.Global.Format, o.Global.Seed = "csv", 7
			},
		},
		{
			name: "duration alone lifts the requests cap",
			args: []string{"--workload", "steady", "--rate", "2000", "--duration", "10s"},
			change: func(o *RunOptions) {
				o.Workload, o.Rate, o.BaseRate, o.Duration, o.Requests = "steady", 2000, 2000, 10*time.Second, 0
			},
		},
		{
			name:   "both caps, whichever first",
			args:   []string{"--duration", "10s", "--requests", "500"},
			change: func(o *RunOptions) { o.Duration, o.Requests = 10*time.Second, 500 },
		},
		{
			name:   "bursty has no base rate unless asked",
			args:   []string{"--workload", "bursty"},
			change: func(o *RunOptions) { o.Workload = "bursty" },
		},
		{
			name:   "all and seeds",
			args:   []string{"--algo", "all,seed-sliding,fixed"},
			change: func(o *RunOptions) { o.Algorithms = append(algorithms.Names(), "seed-sliding") },
		},
		{
			name: "equals signs and millisecond window",
			args: []string{"--window=500ms", "--limit=3", "--timeout=0"},
			change: func(o *RunOptions) {
				o.Limit.Window, o.Limit.Requests, o.Timeout = 500*time.Millisecond, 3, 0
				o.BurstSize, o.BurstEvery = 3, 500*time.Millisecond
			},
		},
		{
			name:   "REDIS_URL is the default",
			env:    map[string]string{"REDIS_URL": "redis://:pw@cache:6379/0"},
			change: func(o *RunOptions) { o.Global.RedisURL = "redis://:pw@cache:6379/0" },
		},
		{
			name:   "--redis overrides REDIS_URL",
			env:    map[string]string{"REDIS_URL": "redis://cache:6379/0"},
			args:   []string{"--redis", "redis://other:6380/1"},
			change: func(o *RunOptions) { o.Global.RedisURL = "redis://other:6380/1" },
		},
		{
			name:   "empty --redis means embedded even with REDIS_URL",
			env:    map[string]string{"REDIS_URL": "redis://cache:6379/0"},
			args:   []string{"--redis="},
			change: func(*RunOptions) {},
		},
		{
			name:   "quiet",
			args:   []string{"-q"},
			change: func(o *RunOptions) { o.Global.Quiet = true },
		},
		{
			name:   "clients in turn, each once",
			args:   []string{"--client", "rueidis, go-redis,rueidis"},
			change: func(o *RunOptions) { o.Global.Clients = clientsFlag{"rueidis", "go-redis"} },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io, out, errOut := newTestIO(tt.env, append([]string{"run"}, tt.args...)...)
			var got *RunOptions
			cmd := newCmdRoot(io, func(o *RunOptions) error { got = o; return nil })
			if err := cmd.Execute(); err != nil {
				t.Fatalf("Execute: %v", err)
			}
			if got == nil {
				t.Fatal("runF was not called")
			}
			want := defaults
			want.Global = &GlobalOptions{Format: "table", Clients: clientsFlag{"go-redis"}}
			tt.change(&want)
			got.IO = IO{}
			if !reflect.DeepEqual(*got.Global, *want.Global) {
				t.Errorf("global options = %+v, want %+v", *got.Global, *want.Global)
			}
			got.Global, want.Global = nil, nil
			if !reflect.DeepEqual(*got, want) {
				t.Errorf("options =\n%+v\nwant\n%+v", *got, want)
			}
			if out.Len()+errOut.Len() > 0 {
				t.Errorf("parsing printed %q and %q", out, errOut)
			}
		})
	}
}

// closedPort is a loopback address where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

const secret = "hunter2-secret"

// TestMainBadInput checks every bad input: its exit status, and one line
// on stderr that names the value and what is accepted.
func TestMainBadInput(t *testing.T) {
	unreachable := "redis://admin:" + secret + "@" + closedPort(t) + "/0"
	tests := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"unknown algorithm", nil, []string{"run", "--algo", "fixd"}, 2,
			`invalid --algo "fixd": unknown algorithm "fixd": valid names are all, fixed, sliding, sliding-counter, token, leaky, gcra, seed-fixed, seed-sliding, seed-leaky`},
		{"unknown in a list", nil, []string{"run", "--algo", "fixed,,gcra"}, 2, `unknown algorithm "": valid names are all,`},
		{"zero limit", nil, []string{"run", "--limit", "0"}, 2, "invalid --limit 0: must be at least 1"},
		{"negative limit", nil, []string{"run", "--limit", "-5"}, 2, "invalid --limit -5: must be at least 1"},
		{"limit not a number", nil, []string{"run", "--limit", "ten"}, 2, `invalid --limit "ten": want a whole number`},
		{"zero window", nil, []string{"run", "--window", "0s"}, 2, "invalid --window 0s: must be at least 1ms"},
		{"negative window", nil, []string{"run", "--window", "-1m"}, 2, "invalid --window -1m0s: must be at least 1ms"},
		{"window without unit", nil, []string{"run", "--window", "600"}, 2, `invalid --window "600": want a duration with a unit, such as 600s, 1m or 500ms`},
		{"zero burst", nil, []string{"run", "--algo", "token", "--burst", "0"}, 2, "invalid --burst 0: must be at least 1"},
		{"negative burst", nil, []string{"run", "--algo", "gcra", "--burst", "-3"}, 2, "invalid --burst -3: must be at least 1"},
		{"burst without a bucket", nil, []string{"run", "--algo", "fixed,sliding", "--burst", "5"}, 2, "--burst applies only to token, leaky, gcra, seed-leaky, and --algo fixed,sliding has none of them"},
		{"zero requests", nil, []string{"run", "--requests", "0"}, 2, "invalid --requests 0: must be at least 1"},
		{"negative requests", nil, []string{"run", "--requests", "-1"}, 2, "invalid --requests -1: must be at least 1"},
		{"zero concurrency", nil, []string{"run", "--concurrency", "0"}, 2, "invalid --concurrency 0: must be at least 1"},
		{"negative concurrency", nil, []string{"run", "--concurrency", "-4"}, 2, "invalid --concurrency -4: must be at least 1"},
		{"empty key", nil, []string{"run", "--key", ""}, 2, `invalid --key "": must not be empty`},
		{"negative timeout", nil, []string{"run", "--timeout", "-1s"}, 2, "invalid --timeout -1s: must be 0 (no timeout) or positive"},
		{"bad bool", nil, []string{"run", "--client-clock=maybe"}, 2, `invalid --client-clock "maybe": want true or false`},
		{"unknown flag", nil, []string{"run", "--rat", "5"}, 2, "unknown flag: --rat (see rlbench run --help)"},
		{"unknown client", nil, []string{"--client", "jedis", "run"}, 2, `invalid --client "jedis": want go-redis, rueidis, or several comma-separated`},
		{"unknown client in a list", nil, []string{"--client", "go-redis,,rueidis", "run"}, 2, `invalid --client "go-redis,,rueidis": "" is not a client; want go-redis, rueidis, or several comma-separated`},
		{"clients with --target", nil, []string{"--client", "rueidis", "run", "--target", "http://127.0.0.1:1/"}, 2, "--client does not apply with --target"},
		{"serve through two clients", nil, []string{"--client", "go-redis,rueidis", "serve"}, 2, "serve decides through one client: give --client go-redis or rueidis"},
		{"unknown workload", nil, []string{"run", "--workload", "spiky"}, 2, `invalid --workload "spiky": want one of closed, steady, bursty, window-edge, poisson, ramp`},
		{"zero rate", nil, []string{"run", "--workload", "steady", "--rate", "0"}, 2, "invalid --rate 0: must be a positive number of requests per second"},
		{"edge offset too wide", nil, []string{"run", "--workload", "window-edge", "--window", "1s", "--edge-offset", "600ms"}, 2, "--edge-offset 600ms: must be positive and less than half of the window, 1s"},
		{"ramp without duration", nil, []string{"run", "--workload", "ramp"}, 2, "--workload ramp needs a --duration"},
		{"no bound at all", nil, []string{"run", "--requests", "0"}, 2, "invalid --requests 0: must be at least 1 (or 0 with a --duration)"},
		{"zero keys", nil, []string{"run", "--keys", "0"}, 2, "invalid --keys 0: must be at least 1"},
		{"bad key dist", nil, []string{"run", "--key-dist", "pareto"}, 2, `invalid --key-dist "pareto": want uniform or zipf`},
		{"bad zipf", nil, []string{"run", "--keys", "10", "--key-dist", "zipf", "--zipf-s", "0"}, 2, "--zipf-s 0"},
		{"bad tier", nil, []string{"run", "--tier", "free=100:0.9"}, 2, `invalid --tier "free=100:0.9": no '/' between requests and window; want NAME=REQUESTS/WINDOW:SHARE, such as free=100/10m:0.9`},
		{"tier shares", nil, []string{"run", "--keys", "10", "--tier", "free=100/1m:0.5"}, 2, "invalid --tier shares: free 0.5 = 0.5, want a total of 1"},
		{"bad format", nil, []string{"run", "--format", "xml"}, 2, `invalid --format "xml": want one of table, json, csv, markdown, html, benchfmt`},
		{"zero interval", nil, []string{"run", "--interval", "0s"}, 2, "invalid --interval 0s: must be at least 1ms"},
		{"zero max inflight", nil, []string{"run", "--max-inflight", "0"}, 2, "invalid --max-inflight 0: must be at least 1"},
		{"missing value", nil, []string{"run", "--limit"}, 2, "flag needs an argument: --limit"},
		{"argument", nil, []string{"run", "fixed"}, 2, `unexpected argument "fixed": rlbench run takes flags only`},
		{"unknown command", nil, []string{"frobnicate"}, 2, `unknown command "frobnicate": commands are bench, compare, completion, local-redis, report, run, serve, simulate, trace, version`},
		{"misspelt command", nil, []string{"rn"}, 2, `unknown command "rn": commands are bench, compare, completion, local-redis, report, run, serve, simulate, trace, version; did you mean run?`},
		{"url without scheme", nil, []string{"run", "--redis", "localhost:6379"}, 2, `bad redis URL "localhost:6379": no scheme; want redis://`},
		{"url with bad password", nil, []string{"run", "--redis", "redis://:" + secret + "/x@localhost"}, 2, `bad redis URL "redis://:xxxxx@localhost": not a valid URL`},
		{"url with bad option", nil, []string{"run", "--redis", "redis://:" + secret + "@localhost/?pool=1"}, 2, `bad redis URL "redis://:xxxxx@localhost/?pool=1": unexpected option: pool`},
		{"bad REDIS_URL", map[string]string{"REDIS_URL": "http://" + secret + ":" + secret + "@x"}, []string{"run"}, 2, `bad redis URL "http://` + secret + `:xxxxx@x": scheme must be redis:// or rediss://`},
		{"unreachable", nil, []string{"run", "--redis", unreachable}, 1, `redis unreachable at "redis://admin:xxxxx@127.0.0.1:`},
		{"unreachable REDIS_URL", map[string]string{"REDIS_URL": unreachable}, []string{"run"}, 1, "connection refused (is a Redis server running there?)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io, out, errOut := newTestIO(tt.env, tt.args...)
			if code := Main(io); code != tt.code {
				t.Errorf("exit %d, want %d", code, tt.code)
			}
			msg := errOut.String()
			if !strings.HasPrefix(msg, "rlbench: ") || strings.Count(msg, "\n") != 1 {
				t.Errorf("stderr %q is not one line starting with \"rlbench: \"", msg)
			}
			if !strings.Contains(msg, tt.want) {
				t.Errorf("stderr %q does not contain %q", msg, tt.want)
			}
			if strings.Contains(msg, secret+"@") || strings.Contains(msg, ":"+secret) || strings.Contains(out.String(), secret) {
				t.Errorf("a password was printed: stdout %q, stderr %q", out, msg)
			}
			if out.Len() > 0 {
				t.Errorf("stdout %q, want nothing: no run started", out)
			}
		})
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("boom"), 1},
		{usageErrorf("bad"), 2},
		{algorithms.ErrInvalidLimit, 2},
		{interruptedError{"x"}, 130},
	}
	for _, tt := range tests {
		if got := exitCode(tt.err); got != tt.want {
			t.Errorf("exitCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func TestShortDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Minute: "1m", 10 * time.Minute: "10m", time.Hour: "1h", 90 * time.Second: "1m30s",
		500 * time.Millisecond: "500ms", 2*time.Hour + 30*time.Minute: "2h30m", time.Second: "1s",
	} {
		if got := shortDuration(d); got != want {
			t.Errorf("shortDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

// FuzzRunFlags feeds arbitrary values to the numeric and duration flags:
// parsing never panics, and a refusal is always a one-line usage error.
func FuzzRunFlags(f *testing.F) {
	for _, seed := range [][2]string{{"--limit", "100"}, {"--window", "600s"}, {"--burst", "-1"}, {"--timeout", "1h"}, {"--algo", "all,seed-fixed"}, {"--concurrency", "9999999999999"}} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, flag, value string) {
		io, _, _ := newTestIO(nil, "run", flag, value, "--algo", "all")
		err := newCmdRoot(io, func(*RunOptions) error { return nil }).Execute()
		if err == nil {
			return
		}
		if code := exitCode(err); code != exitUsage {
			t.Errorf("%s %q: exit %d for %v, want 2", flag, value, code, err)
		}
		if line := oneLine(err.Error()); line == "" {
			t.Errorf("%s %q: empty error", flag, value)
		}
	})
}
