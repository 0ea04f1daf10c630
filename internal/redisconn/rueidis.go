package redisconn

import (
	"context"
	"crypto/tls"
	"encoding"
	"errors"
	"fmt"
	"math/big"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/rueidis"
)

// The clients rlbench can send decisions through. go-redis is the
// default; rueidis, the Redis project's other Go client, pipelines the
// commands of concurrent callers onto shared connections.
const (
	ClientGoRedis = "go-redis"
	ClientRueidis = "rueidis"
)

// Clients lists every client, the default first.
func Clients() []string { return []string{ClientGoRedis, ClientRueidis} }

// ErrUnknownClient means a client name not in Clients.
var ErrUnknownClient = errors.New("unknown client")

// Driver is the client named name for the target's deployment, as a
// go-redis client, so that every limiter works through it unchanged:
// Client for ClientGoRedis, and for ClientRueidis a client whose every
// command goes through rueidis (NewRueidis), opened on first use from the
// options Open resolved (addresses, TLS, user and password, database,
// Cluster or Sentinel) and closed by Close. The control plane (INFO,
// SCRIPT LOAD, faults) stays on Client whichever client decides.
func (t *Target) Driver(ctx context.Context, name string) (redis.UniversalClient, error) {
	switch name {
	case ClientGoRedis, "":
		return t.Client, nil
	case ClientRueidis:
	default:
		return nil, fmt.Errorf("%w %q: want one of %s", ErrUnknownClient, name, strings.Join(Clients(), ", "))
	}
	t.clientsMu.Lock()
	defer t.clientsMu.Unlock()
	if t.rueidis != nil {
		return t.rueidis, nil
	}
	if t.rueidisOption == nil {
		return nil, fmt.Errorf("%w %q: not available for a %s target", ErrUnknownClient, name, t.Kind)
	}
	c, err := NewRueidis(ctx, *t.rueidisOption)
	if err != nil {
		// rueidis names the address, never the password; the
		// password is replaced all the same, as openError does.
		msg := err.Error()
		if p := t.rueidisOption.Password; p != "" {
			msg = strings.ReplaceAll(msg, p, "xxxxx")
		}
		return nil, &diagnosis{fmt.Sprintf("%v: rueidis client of %s: %s", ErrUnreachable, t.Address, msg), err}
	}
	t.rueidis = c
	return c, nil
}

// Rueidis is a go-redis client that sends every command, pipeline and
// transaction through a rueidis client and turns its replies into
// go-redis's: the same values (int64, string, []any, nil as redis.Nil,
// error replies as redis.Error, so that Script.Run's EVALSHA falls back to
// EVAL on NOSCRIPT) and the same errors underneath (a context deadline, a
// *net.OpError, io.EOF), so that outcomes are classed alike. Close closes
// both. It never dials through go-redis.
type Rueidis struct {
	*redis.Client
	r    rueidis.Client
	hook *rueidisHook
}

// Close closes the rueidis client; every command after it fails with
// redis.ErrClosed, as go-redis's do. rueidis would dial again.
func (c *Rueidis) Close() error {
	c.hook.closed.Store(true)
	c.r.Close()
	return c.Client.Close()
}

// EvalInts implements algorithms.IntScripter straight on rueidis: no
// go-redis command, no hook, and the reply read from rueidis's message,
// which reaches go-redis's types (toAny) only when it is not an array of
// len(ints) integers, for the caller to reject. Only the first key goes
// through Key, as in build: a Cluster client takes its slot from it.
func (c *Rueidis) EvalInts(ctx context.Context, hash, src string, keys, args []string, ints []int64) (bool, any, error) {
	if c.hook.closed.Load() {
		return false, nil, redis.ErrClosed
	}
	if len(keys) == 0 {
		return false, nil, errors.New("rueidis: EVALSHA without a key")
	}
	numkeys := strconv.Itoa(len(keys))
	cmd := func(name, script string) rueidis.Completed {
		return c.r.B().Arbitrary(name, script, numkeys).Keys(keys[0]).Args(keys[1:]...).Args(args...).Build()
	}
	res := c.r.Do(ctx, cmd("EVALSHA", hash))
	if e, ok := rueidis.IsRedisErr(res.Error()); ok && e.IsNoScript() {
		res = c.r.Do(ctx, cmd("EVAL", src))
	}
	m, err := res.ToMessage()
	if err != nil {
		return false, nil, mapError(m, err)
	}
	if m.IsArray() {
		if elems, err := m.ToArray(); err == nil && len(elems) == len(ints) && allInt64(elems) {
			for i := range elems {
				ints[i], _ = elems[i].AsInt64()
			}
			return true, nil, nil
		}
	}
	v, err := toAny(&m)
	if err != nil {
		return false, nil, fmt.Errorf("rueidis: evalsha: %w", err)
	}
	return false, v, nil
}

// allInt64 reports whether every element of ms is an integer reply.
func allInt64(ms []rueidis.RedisMessage) bool {
	for i := range ms {
		if !ms[i].IsInt64() {
			return false
		}
	}
	return true
}

// flushDelay is rueidis's MaxFlushDelay in a load test: the longest its
// writer waits after a flush for more commands to send together.
const flushDelay = 50 * time.Microsecond

// pingTimeout bounds the PING with which NewRueidis checks each node.
const pingTimeout = 10 * time.Second

// NewRueidis opens a rueidis client with opt, made fit for a load test
// (no client-side cache, no retries, no background PING), PINGs every
// node it knows, and wraps it.
func NewRueidis(ctx context.Context, opt rueidis.ClientOption) (*Rueidis, error) {
	opt.DisableCache = true
	// A retried decision could be admitted twice; an error is counted.
	opt.DisableRetry = true
	// An idle client PINGs every Dialer.KeepAlive: those PINGs would be
	// counted in the Redis cost of the other client's runs. A negative
	// KeepAlive turns them off (and TCP keep-alives, which go-redis sends
	// every 5 minutes); ConnWriteTimeout still closes a connection whose
	// server stopped answering.
	opt.Dialer.KeepAlive = -1
	if opt.ConnWriteTimeout == 0 {
		opt.ConnWriteTimeout = 10 * time.Second
	}
	// Under concurrent callers the write of each flush, not the read,
	// is most of rueidis's CPU (a loopback write does the receiver's
	// work too). One connection per node (rueidis's default for a
	// Cluster already) and a pause of at most flushDelay after each flush
	// gather more callers' commands into each write: about 30 % less
	// client CPU per decision at 50 workers. A single caller is never
	// delayed (rueidis pauses only while others wait); concurrent ones
	// may each be by up to flushDelay.
	opt.PipelineMultiplex = 0
	opt.MaxFlushDelay = flushDelay
	r, err := rueidis.NewClient(opt)
	if err != nil {
		return nil, err
	}
	// Under a deadline: the first command rueidis sends under a context
	// that can be canceled but has none starts its writer and reader
	// goroutines for good, and a lone caller then waits on them, about
	// 15 µs a decision, where it would otherwise write and read itself.
	for addr, node := range r.Nodes() {
		pctx, cancel := context.WithTimeout(ctx, pingTimeout)
		err := node.Do(pctx, node.B().Ping().Build()).Error()
		cancel()
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("PING %s: %w", addr, err)
		}
	}
	c := redis.NewClient(&redis.Options{Addr: "rueidis", Protocol: 3})
	hook := &rueidisHook{r: r}
	c.AddHook(hook)
	return &Rueidis{Client: c, r: r, hook: hook}, nil
}

// rueidisOption is what a rueidis client of the servers at addrs needs
// to connect as go-redis does with ro: the same user, password, database
// and TLS, dialled by dial when not nil (go-redis's dialer with the first
// reply checked: dialer).
func rueidisOption(addrs []string, ro *redis.Options, dial func(context.Context, string, string) (net.Conn, error)) *rueidis.ClientOption {
	opt := &rueidis.ClientOption{
		InitAddress: addrs,
		Username:    ro.Username,
		Password:    ro.Password,
		SelectDB:    ro.DB,
		TLSConfig:   ro.TLSConfig,
		Dialer:      net.Dialer{Timeout: ro.DialTimeout},
	}
	if dial != nil {
		// dial does TLS itself, as it does for go-redis.
		opt.DialCtxFn = func(ctx context.Context, addr string, _ *net.Dialer, _ *tls.Config) (net.Conn, error) {
			return dial(ctx, "tcp", addr)
		}
	}
	return opt
}

// rueidisHook answers every command of a go-redis client through rueidis.
type rueidisHook struct {
	r      rueidis.Client
	closed atomic.Bool
}

func (h *rueidisHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *rueidisHook) ProcessHook(redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if h.closed.Load() {
			cmd.SetErr(redis.ErrClosed)
			return redis.ErrClosed
		}
		c, err := h.build(cmd)
		if err != nil {
			cmd.SetErr(err)
			return err
		}
		return setReply(cmd, h.r.Do(ctx, c))
	}
}

// ProcessPipelineHook sends a pipeline as one DoMulti; a transaction
// (MULTI, its commands, EXEC, as go-redis wraps them) too, its commands'
// replies then read from EXEC's. Each command holds its own error; like
// go-redis's, it returns the first.
func (h *rueidisHook) ProcessPipelineHook(redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.pipeline(ctx, cmds)
		for _, cmd := range cmds {
			if err := cmd.Err(); err != nil {
				return err
			}
		}
		return nil
	}
}

// pipeline sets every command of cmds from one DoMulti.
func (h *rueidisHook) pipeline(ctx context.Context, cmds []redis.Cmder) {
	fail := func(cmds []redis.Cmder, err error) {
		for _, cmd := range cmds {
			cmd.SetErr(err)
		}
	}
	if h.closed.Load() {
		fail(cmds, redis.ErrClosed)
		return
	}
	built := make([]rueidis.Completed, len(cmds))
	for i, cmd := range cmds {
		c, err := h.build(cmd)
		if err != nil {
			fail(cmds, err)
			return
		}
		built[i] = c
	}
	results := h.r.DoMulti(ctx, built...)
	n := len(cmds)
	if n < 2 || cmds[0].Name() != "multi" || cmds[n-1].Name() != "exec" {
		for i, cmd := range cmds {
			_ = setReply(cmd, results[i])
		}
		return
	}
	_ = setReply(cmds[0], results[0])
	exec, err := results[n-1].ToMessage()
	if err != nil {
		// EXEC failed (EXECABORT: Redis refused a queued command, which
		// says why) or went unanswered: no command ran.
		err = mapError(exec, err)
		for i, cmd := range cmds[1 : n-1] {
			if qerr := mapError(results[i+1].ToMessage()); qerr != nil {
				cmd.SetErr(qerr)
			} else {
				cmd.SetErr(err)
			}
		}
		cmds[n-1].SetErr(err)
		return
	}
	replies, err := exec.ToArray()
	if err != nil || len(replies) != n-2 {
		fail(cmds[1:], fmt.Errorf("rueidis: EXEC answered %d replies for %d commands (%v)", len(replies), n-2, err))
		return
	}
	for i, cmd := range cmds[1 : n-1] {
		_ = setMessage(cmd, &replies[i])
	}
}

// build turns a go-redis command into a rueidis one. Only the first key
// goes through Keys, which gives a Cluster client its slot: rlbench's keys
// of one decision share a hash tag, and a command whose keys do not would
// get Redis's CROSSSLOT rather than a panic from rueidis.
func (h *rueidisHook) build(cmd redis.Cmder) (rueidis.Completed, error) {
	args := cmd.Args()
	tokens := make([]string, len(args))
	for i, a := range args {
		s, err := argString(a)
		if err != nil {
			return rueidis.Completed{}, fmt.Errorf("rueidis: %s: argument %d: %w", cmd.Name(), i, err)
		}
		tokens[i] = s
	}
	if len(tokens) == 0 || tokens[0] == "" {
		return rueidis.Completed{}, errors.New("rueidis: empty command")
	}
	name := strings.ToLower(tokens[0])
	if strings.HasSuffix(name, "subscribe") {
		return rueidis.Completed{}, fmt.Errorf("rueidis: %s: subscriptions are not supported", name)
	}
	b := h.r.B()
	switch name {
	case "multi":
		return b.Multi().Build(), nil
	case "exec":
		return b.Exec().Build(), nil
	}
	k := firstKey(name, tokens)
	if k <= 0 || k >= len(tokens) {
		return b.Arbitrary(tokens...).Build(), nil
	}
	return b.Arbitrary(tokens[:k]...).Keys(tokens[k]).Args(tokens[k+1:]...).Build(), nil
}

// keyless are the commands rlbench may send that name no key.
var keyless = []string{
	"ping", "echo", "time", "info", "script", "config", "client", "cluster", "command",
	"dbsize", "flushall", "flushdb", "select", "auth", "hello", "multi", "exec", "discard",
	"role", "lastsave", "save", "bgsave", "debug", "scan", "keys", "randomkey", "wait",
	"function", "latency", "slowlog", "acl", "readonly", "readwrite", "publish", "pubsub",
}

// firstKey is the index of the first key in tokens, a command of name, as
// go-redis places it; 0 when it has none.
func firstKey(name string, tokens []string) int {
	switch {
	case slices.Contains(keyless, name):
		return 0
	case name == "eval" || name == "evalsha" || name == "eval_ro" || name == "evalsha_ro" || name == "fcall" || name == "fcall_ro":
		if len(tokens) > 3 && tokens[2] != "0" {
			return 3
		}
		return 0
	case name == "memory" || name == "object":
		return 2
	}
	return 1
}

// argString writes a go-redis argument as go-redis writes it on the wire.
func argString(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case []byte:
		return string(v), nil
	case int:
		return strconv.Itoa(v), nil
	case int8:
		return strconv.FormatInt(int64(v), 10), nil
	case int16:
		return strconv.FormatInt(int64(v), 10), nil
	case int32:
		return strconv.FormatInt(int64(v), 10), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case uint:
		return strconv.FormatUint(uint64(v), 10), nil
	case uint8:
		return strconv.FormatUint(uint64(v), 10), nil
	case uint16:
		return strconv.FormatUint(uint64(v), 10), nil
	case uint32:
		return strconv.FormatUint(uint64(v), 10), nil
	case uint64:
		return strconv.FormatUint(v, 10), nil
	case float32:
		return strconv.FormatFloat(float64(v), 'f', -1, 64), nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case bool:
		if v {
			return "1", nil
		}
		return "0", nil
	case time.Time:
		return v.Format(time.RFC3339Nano), nil
	case time.Duration:
		return strconv.FormatInt(v.Nanoseconds(), 10), nil
	case encoding.BinaryMarshaler:
		b, err := v.MarshalBinary()
		return string(b), err
	}
	return "", fmt.Errorf("can't marshal %T (implement encoding.BinaryMarshaler)", v)
}

// replyError is an error reply of Redis, whole ("ERR ...", "NOSCRIPT
// ..."), as go-redis gives it: a redis.Error.
type replyError string

func (e replyError) Error() string { return string(e) }
func (replyError) RedisError()     {}

// mapError is the error go-redis would give for a rueidis reply m that
// came with err: redis.Nil for a nil reply, a redis.Error holding the
// whole error reply (rueidis cuts "ERR " off its message), redis.ErrClosed
// for a closed client; any other error (a context deadline, a network
// error) as it is.
func mapError(m rueidis.RedisMessage, err error) error {
	switch {
	case err == nil:
		return nil
	case rueidis.IsRedisNil(err):
		return redis.Nil
	case errors.Is(err, rueidis.ErrClosing):
		return fmt.Errorf("%w (%w)", redis.ErrClosed, err)
	}
	if _, ok := rueidis.IsRedisErr(err); ok {
		if whole, _ := m.ToString(); whole != "" {
			return replyError(whole)
		}
		return replyError(err.Error())
	}
	return err
}

// setReply sets cmd's value, or its error, from res; it returns the error.
func setReply(cmd redis.Cmder, res rueidis.RedisResult) error {
	m, err := res.ToMessage()
	if err != nil {
		err = mapError(m, err)
		cmd.SetErr(err)
		return err
	}
	return setMessage(cmd, &m)
}

// setMessage sets cmd's value from m, a reply that is no error, as
// go-redis would read it for cmd's type.
func setMessage(cmd redis.Cmder, m *rueidis.RedisMessage) error {
	if e := m.Error(); e != nil {
		err := mapError(*m, e)
		cmd.SetErr(err)
		return err
	}
	var err error
	switch c := cmd.(type) {
	case *redis.Cmd:
		var v any
		if v, err = toAny(m); err == nil {
			c.SetVal(v)
		}
	case *redis.StatusCmd:
		var v string
		if v, err = m.ToString(); err == nil {
			c.SetVal(v)
		}
	case *redis.StringCmd:
		var v string
		if v, err = scalarString(m); err == nil {
			c.SetVal(v)
		}
	case *redis.IntCmd:
		var v int64
		if v, err = m.AsInt64(); err == nil {
			c.SetVal(v)
		}
	case *redis.BoolCmd:
		var v any
		if v, err = toAny(m); err == nil {
			switch v := v.(type) {
			case int64:
				c.SetVal(v == 1)
			case string:
				c.SetVal(v == "OK")
			case bool:
				c.SetVal(v)
			default:
				err = fmt.Errorf("got %T, wanted int64, string or bool", v)
			}
		}
	case *redis.FloatCmd:
		var v float64
		if v, err = m.AsFloat64(); err == nil {
			c.SetVal(v)
		}
	case *redis.DurationCmd:
		var n int64
		if n, err = m.AsInt64(); err == nil {
			err = setDuration(c, n)
		}
	case *redis.SliceCmd:
		var v any
		if v, err = toAny(m); err == nil {
			vs, ok := v.([]any)
			if !ok {
				err = fmt.Errorf("got %T, wanted an array", v)
			}
			c.SetVal(vs)
		}
	case *redis.StringSliceCmd:
		var v []string
		if v, err = m.AsStrSlice(); err == nil {
			c.SetVal(v)
		}
	case *redis.IntSliceCmd:
		var v []int64
		if v, err = m.AsIntSlice(); err == nil {
			c.SetVal(v)
		}
	case *redis.ZSliceCmd:
		var v []rueidis.ZScore
		if v, err = m.AsZScores(); err == nil {
			zs := make([]redis.Z, len(v))
			for i, z := range v {
				zs[i] = redis.Z{Score: z.Score, Member: z.Member}
			}
			c.SetVal(zs)
		}
	case *redis.MapStringStringCmd:
		var v map[string]string
		if v, err = m.AsStrMap(); err == nil {
			c.SetVal(v)
		}
	case *redis.ScanCmd:
		var e rueidis.ScanEntry
		if e, err = m.AsScanEntry(); err == nil {
			c.SetVal(e.Elements, e.Cursor)
		}
	case *redis.TimeCmd:
		var v []int64
		if v, err = m.AsIntSlice(); err == nil && len(v) == 2 {
			c.SetVal(time.Unix(v[0], v[1]*1000))
		} else if err == nil {
			err = fmt.Errorf("got %d integers, wanted 2", len(v))
		}
	default:
		err = fmt.Errorf("rlbench reads no %T reply through rueidis", cmd)
	}
	if err != nil {
		err = fmt.Errorf("rueidis: %s: %w", cmd.Name(), err)
		cmd.SetErr(err)
	}
	return err
}

// setDuration is TTL's and PTTL's reply n as go-redis gives it: -1 and -2
// as they are, else in the command's unit.
func setDuration(c *redis.DurationCmd, n int64) error {
	if n == -1 || n == -2 {
		c.SetVal(time.Duration(n))
		return nil
	}
	switch c.Name() {
	case "pttl", "pexpiretime":
		c.SetVal(time.Duration(n) * time.Millisecond)
	case "ttl", "expiretime":
		c.SetVal(time.Duration(n) * time.Second)
	default:
		return fmt.Errorf("no unit known for a duration reply")
	}
	return nil
}

// scalarString is a string, integer or double reply as a string, as
// go-redis's StringCmd reads it.
func scalarString(m *rueidis.RedisMessage) (string, error) {
	switch {
	case m.IsInt64():
		n, _ := m.AsInt64()
		return strconv.FormatInt(n, 10), nil
	case m.IsFloat64():
		f, _ := m.AsFloat64()
		return strconv.FormatFloat(f, 'f', -1, 64), nil
	}
	v, err := toAny(m)
	if err != nil {
		return "", err
	}
	switch v := v.(type) {
	case string:
		return v, nil
	case *big.Int:
		return v.String(), nil
	}
	return "", fmt.Errorf("got %T, wanted a string", v)
}

// toAny is m as go-redis's ReadReply gives it for a *redis.Cmd: int64,
// string, float64, bool, *big.Int, []any (an array or a set, a nil element
// as nil, an error element as a redis.Error) or map[any]any.
func toAny(m *rueidis.RedisMessage) (any, error) {
	if e := m.Error(); e != nil {
		err := mapError(*m, e)
		if errors.Is(err, redis.Nil) {
			return nil, nil
		}
		return err, nil
	}
	switch {
	case m.IsInt64():
		return m.AsInt64()
	case m.IsString():
		return m.ToString()
	case m.IsFloat64():
		return m.AsFloat64()
	case m.IsBool():
		return m.AsBool()
	case m.IsArray():
		elems, err := m.ToArray()
		if err != nil {
			return nil, err
		}
		vs := make([]any, len(elems))
		for i := range elems {
			if vs[i], err = toAny(&elems[i]); err != nil {
				return nil, err
			}
		}
		return vs, nil
	case m.IsMap():
		elems, err := m.ToMap()
		if err != nil {
			return nil, err
		}
		vs := make(map[any]any, len(elems))
		for k, e := range elems {
			if vs[k], err = toAny(&e); err != nil {
				return nil, err
			}
		}
		return vs, nil
	}
	// A verbatim string (INFO) or a big number: ToAny gives both as
	// strings, the verbatim one after its format ("txt:"), which go-redis
	// drops.
	v, err := m.ToAny()
	if err != nil {
		return nil, err
	}
	s, ok := v.(string)
	switch {
	case !ok:
		return v, nil
	case len(s) >= 4 && s[3] == ':':
		return s[4:], nil
	}
	if n, ok := new(big.Int).SetString(s, 10); ok {
		return n, nil
	}
	return s, nil
}
