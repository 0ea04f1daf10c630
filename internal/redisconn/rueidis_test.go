package redisconn

import (
	"context"
	"errors"
	"io"
	"math/big"
	"net"
	"net/url"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rlbench/rlbench/internal/redistest"
)

// rueidisOn opens rawURL and its rueidis client; both close with the test.
func rueidisOn(t *testing.T, rawURL string, opts Options) (*Target, redis.UniversalClient) {
	t.Helper()
	tgt, err := Open(t.Context(), rawURL, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = tgt.Close() })
	c, err := tgt.Driver(t.Context(), ClientRueidis)
	if err != nil {
		t.Fatalf("Driver(rueidis): %v", err)
	}
	if again, _ := tgt.Driver(t.Context(), ClientRueidis); again != c {
		t.Error("a second Driver(rueidis) opened another client")
	}
	if gr, _ := tgt.Driver(t.Context(), ClientGoRedis); gr != tgt.Client {
		t.Error("Driver(go-redis) is not the target's Client")
	}
	return tgt, c
}

func TestDriverUnknown(t *testing.T) {
	tgt, err := Open(t.Context(), "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	_, err = tgt.Driver(t.Context(), "jedis")
	if !errors.Is(err, ErrUnknownClient) || !strings.Contains(err.Error(), `"jedis"`) || !strings.Contains(err.Error(), "go-redis, rueidis") {
		t.Errorf("Driver(jedis) = %v, want ErrUnknownClient naming it and what is accepted", err)
	}
}

// TestRueidisReplies sends through rueidis every kind of command rlbench
// and its tests send, and reads each reply as go-redis gives it, on a
// real server and on the embedded miniredis.
func TestRueidisReplies(t *testing.T) {
	for name, url := range map[string]func(t *testing.T) string{
		"redis-server": func(t *testing.T) string { return "redis://" + redistest.Start(t).Addr + "/0" },
		"miniredis":    func(*testing.T) string { return "" },
	} {
		t.Run(name, func(t *testing.T) {
			tgt, c := rueidisOn(t, url(t), Options{PoolSize: 2})
			ctx := t.Context()
			want := func(what string, got, want any) {
				t.Helper()
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s = %#v, want %#v", what, got, want)
				}
			}
			if err := c.Get(ctx, "missing").Err(); err != redis.Nil {
				t.Errorf("GET missing: %v, want redis.Nil", err)
			}
			want("PING", c.Ping(ctx).Val(), "PONG")
			want("SET", c.Set(ctx, "{u}:s", "v", time.Minute).Val(), "OK")
			want("GET", c.Get(ctx, "{u}:s").Val(), "v")
			want("INCRBY", c.IncrBy(ctx, "{u}:n", 5).Val(), int64(5))
			want("GET int", c.Get(ctx, "{u}:n").Val(), "5")
			want("EXPIRE", c.Expire(ctx, "{u}:n", time.Minute).Val(), true)
			if ttl := c.PTTL(ctx, "{u}:n").Val(); ttl <= 59*time.Second || ttl > time.Minute {
				t.Errorf("PTTL = %v, want just under a minute", ttl)
			}
			if ttl := c.TTL(ctx, "{u}:n").Val(); ttl <= 58*time.Second || ttl > time.Minute {
				t.Errorf("TTL = %v, want just under a minute", ttl)
			}
			want("PTTL missing", c.PTTL(ctx, "missing").Val(), time.Duration(-2))
			want("TYPE", c.Type(ctx, "{u}:s").Val(), "string")
			want("ZADD", c.ZAdd(ctx, "{u}:z", redis.Z{Score: 1.5, Member: "a"}, redis.Z{Score: 2, Member: "b"}).Val(), int64(2))
			want("ZRANGE WITHSCORES", c.ZRangeWithScores(ctx, "{u}:z", 0, -1).Val(), []redis.Z{{Score: 1.5, Member: "a"}, {Score: 2, Member: "b"}})
			want("ZREMRANGEBYSCORE", c.ZRemRangeByScore(ctx, "{u}:z", "0", "1.5").Val(), int64(1))
			want("LPUSH", c.LPush(ctx, "{u}:l", "x", "y").Val(), int64(2))
			want("LTRIM", c.LTrim(ctx, "{u}:l", 0, 0).Val(), "OK")
			want("LRANGE", c.LRange(ctx, "{u}:l", 0, -1).Val(), []string{"y"})
			c.HSet(ctx, "{u}:h", "f", "1")
			want("HGETALL", c.HGetAll(ctx, "{u}:h").Val(), map[string]string{"f": "1"})
			keys, _ := c.Scan(ctx, 0, "{u}:*", 100).Val()
			if len(keys) != 5 {
				t.Errorf("SCAN {u}:* = %v, want 5 keys", keys)
			}
			want("EVAL", c.Eval(ctx, "return {1, 'two', {3}, false}", nil).Val(), []any{int64(1), "two", []any{int64(3)}, nil})
			if err := c.Eval(ctx, "return redis.error_reply('WRONGTYPE nope')", nil).Err(); err == nil || err.Error() != "WRONGTYPE nope" || !isRedisError(err) {
				t.Errorf("error reply = %v, want the redis.Error WRONGTYPE nope", err)
			}
			// rueidis cuts "ERR " off; go-redis and rlbench's classes keep it.
			if err := c.Do(ctx, "nosuchcommand").Err(); err == nil || !strings.HasPrefix(err.Error(), "ERR ") || !isRedisError(err) {
				t.Errorf("unknown command = %v, want a redis.Error starting ERR", err)
			}
			if tgt.Kind == KindRedis { // miniredis has no RESP3 Lua types, nor INFO server
				if info := c.Info(ctx, "server").Val(); !strings.Contains(info, "redis_version:") || strings.HasPrefix(info, "txt:") {
					t.Errorf("INFO = %.40q, want the text go-redis gives", info)
				}
				resp3 := func(lua string) any {
					t.Helper()
					v, err := c.Eval(ctx, "redis.setresp(3); "+lua, nil).Result()
					if err != nil {
						t.Errorf("%s: %v", lua, err)
					}
					return v
				}
				want("RESP3 map", resp3("return {map={a=1}}"), map[any]any{"a": int64(1)})
				want("RESP3 double", resp3("return {double=3.5}"), 3.5)
				want("RESP3 true", resp3("return true"), true)
				want("RESP3 big number", resp3("return {big_number='123456789012345678901234567890'}"), func() *big.Int {
					n, _ := new(big.Int).SetString("123456789012345678901234567890", 10)
					return n
				}())
			}

			cmds, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
				p.Incr(ctx, "{u}:p")
				p.Get(ctx, "missing")
				p.Incr(ctx, "{u}:p")
				return nil
			})
			if err != redis.Nil || len(cmds) != 3 {
				t.Fatalf("pipeline: %v, %d commands; want redis.Nil from the GET", err, len(cmds))
			}
			want("pipeline INCR", cmds[2].(*redis.IntCmd).Val(), int64(2))
			if err := cmds[1].Err(); err != redis.Nil {
				t.Errorf("pipeline GET missing: %v, want redis.Nil", err)
			}
			cmds, err = c.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Incr(ctx, "{u}:p")
				p.Expire(ctx, "{u}:p", time.Minute)
				return nil
			})
			if err != nil || len(cmds) != 2 {
				t.Fatalf("transaction: %v, %d commands", err, len(cmds))
			}
			want("transaction INCR", cmds[0].(*redis.IntCmd).Val(), int64(3))
			want("transaction EXPIRE", cmds[1].(*redis.BoolCmd).Val(), true)
		})
	}
}

func isRedisError(err error) bool {
	var re redis.Error
	return errors.As(err, &re)
}

// TestRueidisScriptFlush runs a script, flushes the server's scripts and
// runs it again: the EVALSHA gets NOSCRIPT as a redis.Error, and go-redis's
// Script.Run falls back to EVAL.
func TestRueidisScriptFlush(t *testing.T) {
	srv := redistest.Start(t)
	tgt, c := rueidisOn(t, "redis://"+srv.Addr, Options{})
	ctx := t.Context()
	s := redis.NewScript("return redis.call('INCR', KEYS[1])")
	for i, flush := range []bool{false, true, false} {
		if flush {
			if err := tgt.Client.ScriptFlush(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			if err := s.EvalSha(ctx, c, []string{"k"}).Err(); !redis.HasErrorPrefix(err, "NOSCRIPT") {
				t.Errorf("EVALSHA after SCRIPT FLUSH = %v, want NOSCRIPT", err)
			}
		}
		if n, err := s.Run(ctx, c, []string{"k"}).Int64(); err != nil || n != int64(i+1) {
			t.Errorf("run %d: %d, %v; want %d", i, n, err, i+1)
		}
	}
}

// TestRueidisErrors: a deadline that expires while Redis holds the reply
// is the context's (an unknown outcome); a server that is gone is a
// network error (a failed one), never a hang; a closed client is
// redis.ErrClosed.
func TestRueidisErrors(t *testing.T) {
	srv := redistest.Start(t)
	tgt, c := rueidisOn(t, "redis://"+srv.Addr, Options{})
	ctx := t.Context()
	if err := tgt.Client.Do(ctx, "client", "pause", "300", "all").Err(); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	err := c.Incr(short, "k").Err()
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("INCR while paused = %v, want context.DeadlineExceeded", err)
	}
	srv.Kill()
	ctx2, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err = c.Incr(ctx2, "k").Err()
	var netErr *net.OpError
	if !errors.As(err, &netErr) && !errors.Is(err, io.EOF) {
		t.Errorf("INCR with the server killed = %v (%T), want a network error", err, err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("INCR with the server killed waited for its deadline: %v", err)
	}
	_ = tgt.Close()
	if err := c.Ping(ctx).Err(); !errors.Is(err, redis.ErrClosed) {
		t.Errorf("PING after Close = %v, want redis.ErrClosed", err)
	}
}

// TestRueidisUserAndPassword: rueidis logs in as the URL's ACL user with
// its password, and when the server refuses them, the error names neither
// the password nor any part of it.
func TestRueidisUserAndPassword(t *testing.T) {
	const secret = "Tr0ub4dor#3?x@y/z"
	srv := redistest.Start(t)
	admin := srv.Client(t)
	if err := admin.Do(t.Context(), "acl", "setuser", "alice", "on", ">"+secret, "~*", "+@all").Err(); err != nil {
		t.Fatal(err)
	}
	tgt, c := rueidisOn(t, "redis://alice:"+url.QueryEscape(secret)+"@"+srv.Addr+"/0", Options{})
	if who := c.Do(t.Context(), "acl", "whoami").Val(); who != "alice" {
		t.Errorf("ACL WHOAMI through rueidis = %v, want alice", who)
	}
	_ = tgt.Close()

	// Open succeeds with go-redis; the password changes before rueidis
	// connects.
	tgt, err := Open(t.Context(), "redis://alice:"+url.QueryEscape(secret)+"@"+srv.Addr+"/0", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	if err := admin.Do(t.Context(), "acl", "setuser", "alice", "resetpass", ">other").Err(); err != nil {
		t.Fatal(err)
	}
	_, err = tgt.Driver(t.Context(), ClientRueidis)
	if err == nil || !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "WRONGPASS") {
		t.Fatalf("Driver(rueidis) with a refused password = %v, want ErrUnreachable saying WRONGPASS", err)
	}
	for _, form := range []string{secret, url.QueryEscape(secret), "Tr0ub4dor"} {
		if strings.Contains(err.Error(), form) {
			t.Errorf("the error holds the password (%q): %v", form, err)
		}
	}
}

// TestRueidisTLS: rueidis connects to a TLS-only server that requires a
// client certificate with the CA, certificate and password go-redis uses.
func TestRueidisTLS(t *testing.T) {
	srv := redistest.StartTLS(t, true, password)
	c := srv.Certs
	_, r := rueidisOn(t, srv.URL, Options{Password: password, PasswordFrom: "test",
		TLS: TLS{CAFile: c.CAFile, CertFile: c.ClientCert, KeyFile: c.ClientKey}})
	if err := r.Set(t.Context(), "k", "v", time.Minute).Err(); err != nil {
		t.Fatalf("SET over TLS through rueidis: %v", err)
	}
	// The server speaks only TLS: an answer from its port came over TLS.
	_, port, _ := net.SplitHostPort(srv.Addr)
	if info := r.Info(t.Context(), "server").Val(); !strings.Contains(info, "tcp_port:"+port+"\r\n") {
		t.Errorf("INFO server through rueidis is not that of the server at %s:\n%s", srv.Addr, info)
	}
}

// TestRueidisEvalInts: EvalInts, the scripted limiters' call straight on
// rueidis, gives for every reply what go-redis's Script.Run gives: five
// integers filled in, any other reply as go-redis reads it, an error reply
// as a redis.Error and nil as redis.Nil; it falls back to EVAL after
// SCRIPT FLUSH, and fails with redis.ErrClosed once closed.
func TestRueidisEvalInts(t *testing.T) {
	srv := redistest.Start(t)
	tgt, c := rueidisOn(t, "redis://"+srv.Addr, Options{})
	r := c.(*Rueidis)
	ctx := t.Context()
	keys, args := []string{"{u}:k"}, []string{"", "7"}
	for _, body := range []string{
		`return {1, 2, 3, 4, tonumber(ARGV[2])}`,
		`return {1, 2, 3}`,
		`return {1, 2, 3, 4, "5"}`,
		`return {1, 2, 3, 4, {5}}`,
		`return "allowed"`,
		`return 1`,
		`return false`,
		`return redis.error_reply("BOOM no")`,
		`return {1, 2, 3, 4, redis.error_reply("BOOM")}`,
	} {
		s := redis.NewScript(body)
		for _, flush := range []bool{false, true} {
			if flush {
				if err := tgt.Client.ScriptFlush(ctx).Err(); err != nil {
					t.Fatal(err)
				}
			}
			want, wantErr := s.Run(ctx, tgt.Client, keys, "", "7").Result()
			if flush {
				if err := tgt.Client.ScriptFlush(ctx).Err(); err != nil {
					t.Fatal(err)
				}
			}
			ints := make([]int64, 5)
			ok, got, err := r.EvalInts(ctx, s.Hash(), body, keys, args, ints)
			if ok {
				got = []any{ints[0], ints[1], ints[2], ints[3], ints[4]}
			}
			if !sameReply(got, want) || !sameReply(err, wantErr) {
				t.Errorf("%s (flushed %v): %#v, %#v; go-redis gives %#v, %#v", body, flush, got, err, want, wantErr)
			}
			if ok != (body == `return {1, 2, 3, 4, tonumber(ARGV[2])}`) {
				t.Errorf("%s: ok = %v", body, ok)
			}
		}
	}
	_ = tgt.Close()
	if _, _, err := r.EvalInts(ctx, "0", "return 1", keys, args, make([]int64, 5)); !errors.Is(err, redis.ErrClosed) {
		t.Errorf("EvalInts after Close = %v, want redis.ErrClosed", err)
	}
}

// sameReply reports whether a and b are the same reply: equal values, an
// error reply where the other has one with the same text (go-redis's and
// rlbench's error types differ), the same inside arrays.
func sameReply(a, b any) bool {
	ae, aok := a.(error)
	be, bok := b.(error)
	if aok || bok {
		return aok && bok && (ae == be || isRedisError(ae) && isRedisError(be) && ae.Error() == be.Error())
	}
	as, aok := a.([]any)
	bs, bok := b.([]any)
	if aok && bok {
		if len(as) != len(bs) {
			return false
		}
		for i := range as {
			if !sameReply(as[i], bs[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

// TestRueidisLoneCallerSync: a lone caller with a deadline is served on
// its own goroutine (rueidis's syncDo), as go-redis serves it, not through
// rueidis's writer and reader goroutines, which cost a one-worker run
// about 15 µs a decision. rueidis starts those for good at the first
// command sent under a context that has no deadline but can be canceled,
// as the run's is: opening the client must not be such a command.
func TestRueidisLoneCallerSync(t *testing.T) {
	srv := redistest.Start(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	tgt, err := Open(ctx, "redis://"+srv.Addr, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	c, err := tgt.Driver(ctx, ClientRueidis)
	if err != nil {
		t.Fatal(err)
	}
	dctx, dcancel := context.WithTimeout(ctx, 10*time.Second)
	defer dcancel()
	s := redis.NewScript(`return {1, 2, 3, 4, 5}`)
	for range 3 {
		if ok, reply, err := c.(*Rueidis).EvalInts(dctx, s.Hash(), `return {1, 2, 3, 4, 5}`, []string{"k"}, nil, make([]int64, 5)); !ok || err != nil {
			t.Fatalf("EvalInts: %v, %v, %v", ok, reply, err)
		}
	}
	if strings.Contains(goroutines(), "rueidis.(*pipe)._backgroundRead") {
		t.Error("rueidis serves a lone caller through its writer and reader goroutines")
	}
	// The check can fail: callers at once start the goroutines.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				_, _, _ = c.(*Rueidis).EvalInts(dctx, s.Hash(), `return {1, 2, 3, 4, 5}`, []string{"k"}, nil, make([]int64, 5))
			}
		})
	}
	wg.Wait()
	if !strings.Contains(goroutines(), "rueidis.(*pipe)._backgroundRead") {
		t.Error("concurrent callers started no reader goroutine: the check above proves nothing")
	}
}

// goroutines returns the stacks of every goroutine.
func goroutines() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}
