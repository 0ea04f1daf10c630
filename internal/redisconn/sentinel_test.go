package redisconn

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rlbench/rlbench/internal/redisserver"
	"github.com/rlbench/rlbench/internal/redistest"
)

func TestParseSentinelURL(t *testing.T) {
	tests := []struct {
		name, url  string
		addrs      []string
		master     string
		user, pass string
		sentinel   string // sentinel password
		db         int
	}{
		{"one sentinel", "redis-sentinel://10.0.0.1:26380/mymaster", []string{"10.0.0.1:26380"}, "mymaster", "", "", "", 0},
		{"default port", "redis-sentinel://s1,s2:26390,s3/mymaster", []string{"s1:26379", "s2:26390", "s3:26379"}, "mymaster", "", "", "", 0},
		{"ipv6", "redis-sentinel://[::1]:26380,[::2]/m", []string{"[::1]:26380", "[::2]:26379"}, "m", "", "", "", 0},
		{"password and db", "redis-sentinel://app:p%40ss%2Fw@s1:1,s2:2/cache?db=3", []string{"s1:1", "s2:2"}, "cache", "app", "p@ss/w", "", 3},
		{"sentinel password", "redis-sentinel://:pw@s1:1/m?sentinel_password=spw&dial_timeout=2s", []string{"s1:1"}, "m", "", "pw", "spw", 0},
		{"scheme in capitals", "Redis-Sentinel://s1:1/m", []string{"s1:1"}, "m", "", "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !isSentinelURL(tt.url) {
				t.Fatalf("isSentinelURL(%q) = false", tt.url)
			}
			fo, err := parseSentinelURL(tt.url)
			if err != nil {
				t.Fatalf("parseSentinelURL: %v", err)
			}
			if !slices.Equal(fo.SentinelAddrs, tt.addrs) || fo.MasterName != tt.master || fo.Username != tt.user ||
				fo.Password != tt.pass || fo.SentinelPassword != tt.sentinel || fo.DB != tt.db {
				t.Errorf("got sentinels %v master %q user %q password %q sentinel password %q db %d; want %v %q %q %q %q %d",
					fo.SentinelAddrs, fo.MasterName, fo.Username, fo.Password, fo.SentinelPassword, fo.DB,
					tt.addrs, tt.master, tt.user, tt.pass, tt.sentinel, tt.db)
			}
		})
	}
}

// TestParseSentinelURLRejects checks that each bad URL is ErrBadURL,
// names what is wrong and what is accepted, and never shows a password.
func TestParseSentinelURLRejects(t *testing.T) {
	tests := []struct{ url, says string }{
		{"redis-sentinel://s1:26379", "the path must be the master's name"},
		{"redis-sentinel://s1:26379/", "the path must be the master's name"},
		{"redis-sentinel://s1:26379/a/b", "the path must be the master's name"},
		{"redis-sentinel:///mymaster", "no sentinel address"},
		{"redis-sentinel://s1:1,,s2:2/m", `sentinel address "" has no host`},
		{"redis-sentinel://s1:99999/m", "port 99999 is out of range"},
		{"redis-sentinel://s1:x/m", "port x is out of range"},
		{"redis-sentinel://:Zqsecret@s1:1/m?master_name=other", "no master_name parameter: give it in the path"},
		{"redis-sentinel://s1:1/m?addr=s2:2", "no addr parameter: give it in the host list"},
		{"redis-sentinel://s1:1/m?password=Zqsecret", "no password parameter: give it in the user info"},
		{"redis-sentinel://s1:1/m?db=x", "invalid database number"},
		{"redis-sentinel://:Zqsecret@s1:1/m?bogus=1", "unexpected option: bogus"},
		{"redis-sentinel://:Zq#secret@s1:1/m", "percent-encode"},
		{"redis-sentinel://u:Zqse@cret@s1:1/m?sentinel_password=Zqsecret", "percent-encode"},
	}
	for _, tt := range tests {
		_, err := parseSentinelURL(tt.url)
		if !errors.Is(err, ErrBadURL) {
			t.Errorf("parseSentinelURL(%q) = %v, want ErrBadURL", tt.url, err)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, tt.says) || !strings.Contains(msg, "want redis-sentinel://") {
			t.Errorf("parseSentinelURL(%q) = %q, want it to say %q and the accepted form", tt.url, msg, tt.says)
		}
		if strings.Contains(msg, secretMark) {
			t.Errorf("parseSentinelURL(%q) = %q shows the password", tt.url, msg)
		}
	}
}

func TestRedactSentinelURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"redis-sentinel://app:s3cret@s1:1,s2:2/m?db=1", "redis-sentinel://app:xxxxx@s1:1,s2:2/m?db=1"},
		{"redis-sentinel://s1:1,s2:2/m?sentinel_password=s3cret", "redis-sentinel://s1:1,s2:2/m?sentinel_password=xxxxx"},
		// url.Parse refuses a last host with no port; the query goes too.
		{"redis-sentinel://:s3cret@s1:1,s2/m?sentinel_password=s3cret", "redis-sentinel://:xxxxx@s1:1,s2"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzSentinelURL checks that no password, of the master or of the
// sentinels, is shown by Redact, by a parse error or by Open's error.
func FuzzSentinelURL(f *testing.F) {
	for _, seed := range []string{"Tr0ub4dor#3", "pa?ss", "p@ss/word", "a%zz", "with space", "#?@/%", "", "a:b,c"} {
		f.Add(seed, "/mymaster", ",127.0.0.1")
	}
	addr := unreachableAddr(f)
	f.Fuzz(func(t *testing.T, rawPassword, path, more string) {
		if strings.ContainsAny(path+more, "@") || strings.Contains(path+more, secretMark) {
			path, more = "/m", ""
		}
		if path != "" && path[0] != '/' {
			path = "/" + path
		}
		password := markedPassword(rawPassword)
		for _, raw := range []string{
			"redis-sentinel://app:" + password + "@" + addr + more + path,
			"redis-sentinel://" + addr + more + path + "?sentinel_password=" + password,
		} {
			if got := Redact(raw); strings.Contains(got, secretMark) {
				t.Errorf("Redact(%q) = %q shows the password", raw, got)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			tgt, err := Open(ctx, raw, Options{DialTimeout: 100 * time.Millisecond})
			cancel()
			if err == nil {
				tgt.Close()
				t.Fatalf("Open(%q) reached a sentinel at an address where none listens", raw)
			}
			if strings.Contains(err.Error(), secretMark) {
				t.Errorf("Open(%q) error %q shows the password", raw, err)
			}
		}
	})
}

// TestOpenSentinel opens a real deployment with passwords on the master
// and on the sentinels, through the URL a user would write.
func TestOpenSentinel(t *testing.T) {
	d := redistest.StartSentinelWith(t, redisserver.SentinelOptions{Password: "Zq data pw", SentinelPassword: "Zq#sentinel"})
	url := strings.Replace(d.URL, "://", "://:Zq%20data%20pw@", 1) + "?sentinel_password=Zq%23sentinel"
	tgt, err := Open(t.Context(), url, Options{PoolSize: 4})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer tgt.Close()
	if tgt.Kind != KindSentinel || tgt.Address != d.Master.Addr || tgt.ServerVersion != d.Master.Version {
		t.Errorf("Open = kind %q, address %q, version %q; want sentinel at %s, %s", tgt.Kind, tgt.Address, tgt.ServerVersion, d.Master.Addr, d.Master.Version)
	}
	want := SentinelTopology{
		MasterName: redisserver.DefaultMasterName,
		Master:     d.Master.Addr,
		Replicas:   []string{d.Replica.Addr},
		Sentinels:  []string{d.Sentinels[0].Addr, d.Sentinels[1].Addr, d.Sentinels[2].Addr},
		Quorum:     2,
	}
	if got := tgt.Sentinel; got == nil || got.MasterName != want.MasterName || got.Master != want.Master ||
		!slices.Equal(got.Replicas, want.Replicas) || !slices.Equal(got.Sentinels, want.Sentinels) || got.Quorum != want.Quorum {
		t.Errorf("Sentinel = %+v, want %+v", got, want)
	}
	if err := tgt.Client.Set(t.Context(), "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	info, err := tgt.Client.Info(t.Context(), "server").Result()
	if port := redisserver.ParseInfo(info)["tcp_port"]; err != nil || port != strconv.Itoa(d.Master.Port) {
		t.Errorf("the client talks to port %q (%v), want the master's %d", port, err, d.Master.Port)
	}

	t.Run("sentinels found from one", func(t *testing.T) {
		one := strings.Replace(d.Sentinels[1].URL, "redis://", "redis-sentinel://:Zq%20data%20pw@", 1)
		one = strings.TrimSuffix(one, "/0") + "/" + redisserver.DefaultMasterName + "?sentinel_password=Zq%23sentinel"
		tgt, err := Open(t.Context(), one, Options{})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer tgt.Close()
		if got := tgt.Sentinel.Sentinels; len(got) != 3 || got[0] != d.Sentinels[1].Addr {
			t.Errorf("Sentinels = %v, want %s first, then the two it knows", got, d.Sentinels[1].Addr)
		}
	})

	failures := []struct{ name, url, says string }{
		{"unknown master", strings.Replace(url, "/"+redisserver.DefaultMasterName, "/nosuch", 1), `no master named "nosuch" is monitored there (only rlbench)`},
		{"wrong sentinel password", strings.Replace(url, "Zq%23sentinel", "Zqwrong", 1), "WRONGPASS invalid username-password pair or user is disabled. (check sentinel_password in the URL)"},
		{"wrong master password", strings.Replace(url, "Zq%20data", "Zqwrong", 1), "check the user and password in the URL); the sentinels named " + d.Master.Addr + " as master rlbench"},
		{"no sentinel there", "redis-sentinel://:Zqpw@" + unreachableAddr(t) + "/m", "connect: connection refused (is a Redis server running there?)"},
	}
	for _, f := range failures {
		t.Run(f.name, func(t *testing.T) {
			_, err := Open(t.Context(), f.url, Options{})
			if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), f.says) {
				t.Fatalf("Open = %v; want ErrUnreachable saying %q", err, f.says)
			}
			if strings.Contains(err.Error(), secretMark) {
				t.Errorf("error %q shows a password", err)
			}
		})
	}
}

func TestOpenLocalSentinel(t *testing.T) {
	redistest.RequireBinary(t)
	tgt, err := Open(t.Context(), LocalSentinel, Options{PoolSize: 2})
	if err != nil {
		t.Fatalf("Open(local-sentinel): %v", err)
	}
	d := tgt.LocalSentinel
	if tgt.Kind != KindSentinel || d == nil || tgt.Address != d.Master.Addr || len(tgt.Sentinel.Sentinels) != 3 {
		t.Fatalf("Open(local-sentinel) = kind %q, address %q, topology %+v; want a sentinel target at the master it started", tgt.Kind, tgt.Address, tgt.Sentinel)
	}
	if err := tgt.Client.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("PING: %v", err)
	}
	pids := []int{d.Master.Pid, d.Replica.Pid}
	for _, s := range d.Sentinels {
		pids = append(pids, s.Pid)
	}
	if err := tgt.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("process %d still there after Close (kill 0: %v)", pid, err)
		}
	}
	if entries, err := osReadDir(d.Dir); err == nil {
		t.Errorf("%s still holds %v after Close", d.Dir, entries)
	}
}

func TestOpenLocalSentinelWithoutBinary(t *testing.T) {
	t.Setenv(redisserver.BinaryEnv, "/nonexistent/redis-server")
	_, err := Open(t.Context(), LocalSentinel, Options{})
	if !errors.Is(err, redisserver.ErrNoBinary) {
		t.Fatalf("Open(local-sentinel) error = %v, want ErrNoBinary", err)
	}
	for _, want := range []string{"--redis local-sentinel", "apt-get install redis-server"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}
