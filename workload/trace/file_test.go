package trace

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rlbench/rlbench/workload"
)

// writeTrace writes content to a file named name in a temporary folder,
// gzipped when gz.
func writeTrace(t *testing.T, name, content string, gz bool) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	data := []byte(content)
	if gz {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write(data)
		w.Close()
		data = b.Bytes()
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

type req struct {
	off  time.Duration
	key  string
	cost int64
}

// replayAll scans path and replays it at speed.
func replayAll(t *testing.T, path string, speed float64) (*File, []req) {
	t.Helper()
	f, err := Scan(path)
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	r, err := f.Open(speed)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer r.Close()
	var got []req
	for {
		a, ok := r.Next()
		if !ok {
			break
		}
		got = append(got, req{a.Offset, r.Name(a.Key), a.Cost})
	}
	if err := r.Err(); err != nil {
		t.Fatalf("replay: %v", err)
	}
	return f, got
}

func TestFormats(t *testing.T) {
	want := []req{{0, "alice", 1}, {1500 * time.Microsecond, "bob", 2}, {2 * time.Second, "alice", 1}}
	tests := []struct {
		name, file, content string
		gz                  bool
	}{
		{"csv offset_us", "t.csv", "offset_us,key,cost\n0,alice,1\n1500,bob,2\n2000000,alice,1\n", false},
		{"csv offset_ms, columns reordered, extra column, no cost is 1", "t.csv", "key,note,offset_ms,cost\nalice,x,0,\"1\"\nbob,y,1.5,2\nalice,z,2000,1\n", false},
		{"csv offset duration, CRLF, blank lines", "t.csv", "\r\n\r\noffset,key,cost\r\n0s,alice,1\r\n\r\n1.5ms,bob,2\r\n2s,alice,1\r\n", false},
		{"csv without cost", "t.csv", "offset_us,key\n0,alice\n1500,bob\n2000000,alice\n", false},
		{"json lines", "t.jsonl", "{\"offset_us\":0,\"key\":\"alice\",\"cost\":1}\n{\"offset_ms\":1.5,\"key\":\"bob\",\"cost\":2}\n\n{\"offset\":\"2s\",\"key\":\"alice\"}", false},
		{"gzip csv, told by its bytes not its name", "t.csv", "offset_us,key,cost\n0,alice,1\n1500,bob,2\n2000000,alice,1\n", true},
		{"gzip json lines", "t.jsonl.gz", "{\"offset_us\":0,\"key\":\"alice\"}\n{\"offset_us\":1500,\"key\":\"bob\",\"cost\":2}\n{\"offset_us\":2000000,\"key\":\"alice\"}\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTrace(t, tt.file, tt.content, tt.gz)
			f, got := replayAll(t, path, 1)
			if strings.Contains(tt.name, "without cost") {
				want := append([]req(nil), want...)
				want[1].cost = 1
				compare(t, got, want)
			} else {
				compare(t, got, want)
			}
			if f.Lines != 3 || f.Keys() != 2 || f.Last != 2*time.Second || f.Gzip != tt.gz || len(f.SHA256) != 64 {
				t.Errorf("scan: %d lines, %d keys, last %v, gzip %v, sha %q", f.Lines, f.Keys(), f.Last, f.Gzip, f.SHA256)
			}
		})
	}
}

func compare(t *testing.T, got, want []req) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d requests %v, want %d %v", len(got), got, len(want), want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("request %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestSpeed(t *testing.T) {
	path := writeTrace(t, "t.csv", "offset_us,key\n0,a\n1000,b\n3000000,a\n", false)
	_, got := replayAll(t, path, 2)
	compare(t, got, []req{{0, "a", 1}, {500 * time.Microsecond, "b", 1}, {1500 * time.Millisecond, "a", 1}})
	_, got = replayAll(t, path, 0.5)
	compare(t, got, []req{{0, "a", 1}, {2 * time.Millisecond, "b", 1}, {6 * time.Second, "a", 1}})

	f, _ := Scan(path)
	for _, bad := range []float64{0, -1, 0.0009, 1e6 + 1, 1e300} {
		if err := f.CheckSpeed(bad); err == nil {
			t.Errorf("speed %v accepted", bad)
		}
	}
	long := writeTrace(t, "long.csv", "offset_us,key\n0,a\n31622400000000,a\n", false) // 366 days
	lf, err := Scan(long)
	if err != nil {
		t.Fatal(err)
	}
	if err := lf.CheckSpeed(0.5); err == nil || !strings.Contains(err.Error(), "want a speed of at least 1") {
		t.Errorf("366 days at half speed: %v", err)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name, file, content, want string
	}{
		{"empty", "e.csv", "", "e.csv: empty; want a CSV header"},
		{"header only", "h.csv", "offset_us,key\n", "h.csv: no requests"},
		{"no key column", "k.csv", "offset_us,user\n0,a\n", "k.csv:1: header \"offset_us,user\" lacks an offset or a key column"},
		{"two offset columns", "o.csv", "offset_us,offset_ms,key\n0,0,a\n", "o.csv:1: header names offset_ms twice"},
		{"negative offset", "n.csv", "offset_us,key\n0,a\n-5,b\n", "n.csv:3: offset_us \"-5\": want a whole number of microseconds from 0 to 31622400000000"},
		{"huge offset", "big.csv", "offset_us,key\n0,a\n99999999999999999999999,b\n", "big.csv:3: offset_us \"99999999999999999999999\""},
		{"huge offset_ms", "big.csv", "offset_ms,key\n1e300,b\n", "big.csv:2: offset_ms \"1e300\": want milliseconds"},
		{"NaN offset_ms", "nan.csv", "offset_ms,key\nNaN,b\n", "nan.csv:2: offset_ms \"NaN\""},
		{"duration past a year", "d.csv", "offset,key\n9000h,b\n", "d.csv:2: offset \"9000h\": want a duration from 0 to 8784h"},
		{"fraction of a microsecond", "f.csv", "offset_us,key\n1.5,b\n", "f.csv:2: offset_us \"1.5\""},
		{"decreasing", "dec.csv", "offset_us,key\n0,a\n10,a\n\n9,b\n", "dec.csv:5: offset 9µs is before the previous line's 10µs; want offsets that never decrease"},
		{"empty key", "ek.csv", "offset_us,key\n0,\n", "ek.csv:2: key \"\": want 1 to 256 bytes"},
		{"key with braces", "bk.csv", "offset_us,key\n0,a{b}\n", "bk.csv:2: key \"a{b}\""},
		{"key with a space", "sk.csv", "offset_us,key\n0,\"a b\"\n", "sk.csv:2: key \"a b\""},
		{"cost zero", "c.csv", "offset_us,key,cost\n0,a,0\n", "c.csv:2: cost \"0\": want a whole number of units from 1 to 1000000"},
		{"huge cost", "c.csv", "offset_us,key,cost\n0,a,1\n1,a,18446744073709551616\n", "c.csv:3: cost \"18446744073709551616\""},
		{"field count", "fc.csv", "offset_us,key\n0,a\n1,b,c\n", "fc.csv:3: wrong number of fields; want 2, as in the header"},
		{"bad quote", "q.csv", "offset_us,key\n0,\"a\n", "q.csv:2:"},
		{"json not an object", "j.jsonl", "{\"offset_us\":0,\"key\":\"a\"}\n{oops}\n", "j.jsonl:2: not a JSON object"},
		{"json key a number", "j.jsonl", "{\"offset_us\":0,\"key\":7}\n", "j.jsonl:1: not a JSON object of offset_us, key and cost (key is a JSON number)"},
		{"json two offsets", "j.jsonl", "{\"offset_us\":0,\"offset\":\"1s\",\"key\":\"a\"}\n", "j.jsonl:1: 2 offsets; want exactly one"},
		{"json no offset", "j.jsonl", "{\"key\":\"a\"}\n", "j.jsonl:1: 0 offsets"},
		{"json no key", "j.jsonl", "{\"offset_us\":0}\n", "j.jsonl:1: no key"},
		{"json huge offset", "j.jsonl", "{\"offset_us\":1e400,\"key\":\"a\"}\n", "j.jsonl:1: offset_us \"1e400\""},
		{"json huge cost", "j.jsonl", "{\"offset_us\":0,\"key\":\"a\",\"cost\":1e19}\n", "j.jsonl:1: cost \"1e19\""},
		{"json two values", "j.jsonl", "{\"offset_us\":0,\"key\":\"a\"} {}\n", "j.jsonl:1: more than one JSON value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTrace(t, tt.file, tt.content, false)
			_, err := Scan(path)
			if err == nil {
				t.Fatalf("Scan accepted %q", tt.content)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v is not ErrInvalid", err)
			}
			msg := strings.TrimPrefix(err.Error(), filepath.Dir(path)+string(filepath.Separator))
			if !strings.HasPrefix(msg, tt.want) {
				t.Errorf("error\n got %s\nwant %s...", msg, tt.want)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error spans lines: %q", msg)
			}
		})
	}
}

func TestDamagedGzip(t *testing.T) {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte("offset_us,key\n" + strings.Repeat("0,a\n", 1000)))
	w.Close()
	data := b.Bytes()
	path := filepath.Join(t.TempDir(), "cut.csv.gz")
	os.WriteFile(path, data[:len(data)-10], 0o644)
	if _, err := Scan(path); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "damaged gzip data") {
		t.Errorf("truncated gzip: %v", err)
	}
}

// A trace that changes between the check and the replay stops the
// replay with an error rather than replaying what was not checked.
func TestChangedSinceScan(t *testing.T) {
	path := writeTrace(t, "t.csv", "offset_us,key\n0,a\n1,b\n", false)
	f, err := Scan(path)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, []byte("offset_us,key\n0,a\n1,c\n"), 0o644)
	r, err := f.Open(1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n := 0
	for _, ok := r.Next(); ok; _, ok = r.Next() {
		n++
	}
	if n != 1 || r.Err() == nil || !strings.Contains(r.Err().Error(), "changed since it was checked") {
		t.Errorf("after %d requests: %v", n, r.Err())
	}
}

// Replay is a workload.Stream whose rate and description come from the
// scanned file.
func TestReplayDescribes(t *testing.T) {
	path := writeTrace(t, "t.csv", "offset_us,key\n0,a\n1000000,b\n2000000,a\n", false)
	f, _ := Scan(path)
	r, _ := f.Open(2)
	defer r.Close()
	var s workload.Stream = r
	if s.Rate() != 3 || s.Keys() != 2 || !strings.HasSuffix(s.String(), "t.csv (3 requests) at 2x") {
		t.Errorf("rate %v, keys %d, %q", s.Rate(), s.Keys(), s.String())
	}
}

// FuzzScan: no input makes Scan panic, and whatever it accepts replays
// line for line with offsets that never decrease.
func FuzzScan(f *testing.F) {
	f.Add("offset_us,key,cost\n0,alice,1\n1500,bob,2\n")
	f.Add("{\"offset_ms\":1.5,\"key\":\"bob\"}\n{\"offset\":\"2s\",\"key\":\"a\"}\n")
	f.Add("key,offset\na,1s\nb,1h\n")
	f.Fuzz(func(t *testing.T, content string) {
		path := filepath.Join(t.TempDir(), "t")
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		file, err := Scan(path)
		if err != nil {
			return
		}
		r, err := file.Open(1)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		var n int64
		var last time.Duration
		for a, ok := r.Next(); ok; a, ok = r.Next() {
			if a.Offset < last || a.Cost < 1 || a.Key >= file.Keys() {
				t.Fatalf("request %d: %+v after %v", n, a, last)
			}
			last = a.Offset
			n++
		}
		if r.Err() != nil || n != file.Lines {
			t.Fatalf("replayed %d of %d: %v", n, file.Lines, r.Err())
		}
	})
}
