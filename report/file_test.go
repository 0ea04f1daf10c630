package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// fixture is a hand-made results file: two runs under window-edge, fixed
// over-admitting as it does at window boundaries, token with errors and a
// generator that fell behind. Its times are fixed so rendered output is
// the same on every run.
func fixture() *File {
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	return &File{
		Tool:   Tool{Name: "rlbench", Version: "v0.3.0", Go: "go1.26.8"},
		Host:   Host{OS: "linux", Arch: "amd64", CPUs: 2},
		Target: Target{Kind: "redis", Address: "127.0.0.1:6379", ServerVersion: "7.0.15"},
		Config: Config{
			Algorithms:   []string{"fixed", "token"},
			Workload:     "window-edge",
			Requests:     400,
			DurationUS:   10_000_000,
			BurstSize:    20,
			EdgeOffsetUS: 5_000,
			Concurrency:  8,
			MaxInflight:  64,
			TimeoutUS:    1_000_000,
			IntervalUS:   500_000,
			Keys:         1,
			KeyDist:      "uniform",
			Limit:        Limit{Requests: 20, WindowUS: 1_000_000},
			Clock:        "server",
			Seed:         42,
		},
		StartedAt: start,
		EndedAt:   start.Add(2500 * time.Millisecond),
		EndReason: EndCompleted,
		Runs: []Run{
			{
				Algorithm: "fixed",
				Workload:  "window-edge",
				Limit:     Limit{Requests: 20, WindowUS: 1_000_000},
				Counts:    Counts{Sent: 400, Accepted: 200, Rejected: 200, ErrorsByClass: map[string]int64{}},
				Rates:     Rates{OfferedPerS: 40, AchievedPerS: 39.96, AcceptedPerS: 19.98},
				Latency: Latency{
					ResponseUS: Percentiles{Mean: 212.4, P50: 180.2, P90: 240.5, P99: 1250.75, P999: 1250.75, Max: 1250.75},
					ServiceUS:  Percentiles{Mean: 201.1, P50: 175, P90: 230.25, P99: 1100.5, P999: 1100.5, Max: 1100.5},
					Histogram:  "HISTFAAAADF42pJpmSzMwMDAxQABzFCakYGBgfeHewSD/QeIwO9WRqbl7Ez3VZkAAQAA//+NSAdh",
				},
				Accuracy: Accuracy{
					MaxAdmittedInWindow: 40, Bound: 20, OverAdmitted: 20, KeysOverBound: 1,
					LongRunAcceptedPerS: 19.98, ConfiguredPerS: 20, Keys: 1,
				},
				Generator: Generator{MaxLagUS: 850.5, P99LagUS: 400, MissAfterUS: 10_000},
				Timeseries: Timeseries{IntervalUS: 500_000, Points: []Point{
					{TUS: 0, Accepted: 20, Rejected: 0},
					{TUS: 500_000, Accepted: 20, Rejected: 20},
					{TUS: 1_000_000, Accepted: 0, Rejected: 40},
				}},
				ElapsedUS: 10_010_000,
				EndReason: EndCompleted,
			},
			{
				Algorithm: "token",
				Workload:  "window-edge",
				Limit:     Limit{Requests: 20, WindowUS: 1_000_000, Burst: 30},
				Counts: Counts{
					Sent: 400, Accepted: 190, Rejected: 205, Errors: 5, Missed: 37,
					ErrorsByClass: map[string]int64{"connection": 1, "timeout": 3, "other": 1},
				},
				Rates: Rates{OfferedPerS: 40, AchievedPerS: 38.5, AcceptedPerS: 18.3},
				Latency: Latency{
					ResponseUS: Percentiles{Mean: 15321.9, P50: 240.1, P90: 80_000, P99: 153_400.3, P999: 160_000, Max: 161_203.31},
					ServiceUS:  Percentiles{Mean: 260.5, P50: 230, P90: 300, P99: 980, P999: 1000, Max: 1010},
					Histogram:  "HISTFAAAADF42pJpmSzMwMDAxQABzFCakYGBgfeHewSD/QeIwO9WRqbl7Ez3VZkAAQAA//+NSAdh",
					OverRange:  2,
				},
				Accuracy: Accuracy{
					MaxAdmittedInWindow: 30, Bound: 30, LongRunAcceptedPerS: 18.3, ConfiguredPerS: 20, Keys: 1,
				},
				Generator: Generator{Behind: true, MaxLagUS: 153_200, P99LagUS: 120_000, MissAfterUS: 10_000},
				Timeseries: Timeseries{IntervalUS: 500_000, Points: []Point{
					{TUS: 0, Accepted: 30, Rejected: 10},
					{TUS: 500_000, Accepted: 10, Rejected: 28, Errors: 2},
				}},
				ElapsedUS: 10_380_000,
				EndReason: EndCompleted,
			},
		},
	}
}

// interruptedFixture is fixture stopped by Ctrl-C during its second run.
func interruptedFixture() *File {
	f := fixture()
	f.EndReason = EndInterrupted
	f.EndedAt = f.StartedAt.Add(1200 * time.Millisecond)
	r := &f.Runs[1]
	r.EndReason = EndInterrupted
	r.ElapsedUS = 1_200_000
	r.Counts = Counts{Sent: 48, Accepted: 30, Rejected: 17, Errors: 1, ErrorsByClass: map[string]int64{"timeout": 1}}
	r.Timeseries.Points = []Point{
		{TUS: 0, Accepted: 30, Rejected: 10},
		{TUS: 500_000, Accepted: 0, Rejected: 7, Errors: 1},
	}
	r.Generator = Generator{MaxLagUS: 900, P99LagUS: 500, MissAfterUS: 10_000}
	return f
}

func TestWriteFileRoundTrip(t *testing.T) {
	for name, f := range map[string]*File{"completed": fixture(), "interrupted": interruptedFixture()} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "run.json")
			if err := WriteFile(path, f); err != nil {
				t.Fatal(err)
			}
			if f.SchemaVersion != SchemaVersion {
				t.Errorf("WriteFile left SchemaVersion %d, want %d", f.SchemaVersion, SchemaVersion)
			}
			got, err := ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, f) {
				t.Errorf("ReadFile = %+v\nwant %+v", got, f)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{`"started_at": "2025-03-01T12:00:00Z"`, `"schema_version": 1,`} {
				if !bytes.Contains(data, []byte(want)) {
					t.Errorf("file lacks %s:\n%s", want, data)
				}
			}
		})
	}
}

func TestEncodeDefaultsSchemaVersion(t *testing.T) {
	f := fixture()
	var buf bytes.Buffer
	if err := Encode(&buf, f); err != nil {
		t.Fatal(err)
	}
	if f.SchemaVersion != 0 {
		t.Errorf("Encode changed its argument's SchemaVersion to %d", f.SchemaVersion)
	}
	if _, err := decodeReader(&buf); err != nil {
		t.Errorf("decodeReader(Encode(f with no version)) = %v, want it readable", err)
	}
}

func TestWriteFileFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "run.json")
	f := fixture()
	f.Runs[0].Rates.AchievedPerS = math.NaN()
	if err := WriteFile(path, f); err == nil {
		t.Fatal("WriteFile with a NaN rate succeeded, want an error")
	}
	assertDir(t, dir)
}

func TestWriteFileFailureKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "run.json")
	if err := WriteFile(path, fixture()); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f := fixture()
	f.Runs[1].Latency.ResponseUS.P99 = math.Inf(1)
	if err := WriteFile(path, f); err == nil {
		t.Fatal("WriteFile with an infinite latency succeeded, want an error")
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("a failed WriteFile changed the file it would have replaced")
	}
	assertDir(t, dir, "run.json")
}

// TestWriteFileRenameFailure fails after the temporary file exists: the
// path is a directory, which rename will not replace with a file.
func TestWriteFileRenameFailure(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "run.json")
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, fixture()); err == nil {
		t.Fatal("WriteFile over a directory succeeded, want an error")
	}
	assertDir(t, dir, "run.json")
}

func TestWriteFileMissingDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent", "run.json")
	err := WriteFile(path, fixture())
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Errorf("WriteFile(%s) = %v, want a not-exist error naming the path", path, err)
	}
}

func TestWriteFileReplacesWhole(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "run.json")
	if err := WriteFile(path, fixture()); err != nil {
		t.Fatal(err)
	}
	small := &File{SchemaVersion: SchemaVersion, EndReason: EndError, Error: "no Redis"}
	if err := WriteFile(path, small); err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := Encode(&want, small); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("file after replacing = %s\nwant %s", got, want.Bytes())
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o644 {
		t.Errorf("file mode = %v, want 0644", perm)
	}
	assertDir(t, dir, "run.json")
}

// assertDir fails unless dir holds exactly the named entries: no leftover
// temporary file.
func assertDir(t *testing.T, dir string, want ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if !reflect.DeepEqual(got, want) && (len(got) != 0 || len(want) != 0) {
		t.Errorf("%s holds %q, want %q", dir, got, want)
	}
}

func TestReadFileSchemaVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.json")
	if err := os.WriteFile(path, []byte(`{"schema_version": 2, "runs": "moved elsewhere"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadFile(path)
	want := fmt.Sprintf("results file %s has schema_version 2; this rlbench reads version 1", path)
	if !errors.Is(err, ErrSchemaVersion) || err.Error() != want {
		t.Errorf("ReadFile = %v, want %q wrapping ErrSchemaVersion", err, want)
	}
}

func TestReadFileMalformedNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.json")
	if err := os.WriteFile(path, []byte("{\n  \"schema_version\": 1,\n  oops\n}"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadFile(path)
	want := fmt.Sprintf("malformed results file %s: line 3, column 3: invalid character 'o' looking for beginning of object key string", path)
	if !errors.Is(err, ErrMalformed) || err.Error() != want {
		t.Errorf("ReadFile = %v, want %q wrapping ErrMalformed", err, want)
	}
}

func TestReadFileMissing(t *testing.T) {
	_, err := ReadFile(filepath.Join(t.TempDir(), "absent.json"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadFile of a missing file = %v, want os.ErrNotExist", err)
	}
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		wantErr error
		wantMsg string // exact, when set
	}{
		{"minimal", smallestFile(""), nil, ""},
		{"unknown fields", smallestFile(`"future": {"x": [1]}, `), nil, ""},
		{"version only", `{"schema_version": 1}`, ErrInvalid,
			"results file: started_at: missing, want the RFC 3339 time the run started"},
		{"version 2", `{"schema_version": 2}`, ErrSchemaVersion,
			"results file has schema_version 2; this rlbench reads version 1"},
		{"version 2 with a changed shape", `{"schema_version": 2, "runs": {"by": "name"}}`, ErrSchemaVersion,
			"results file has schema_version 2; this rlbench reads version 1"},
		{"version 0", `{"schema_version": 0}`, ErrSchemaVersion,
			"results file has schema_version 0; this rlbench reads version 1"},
		{"missing version", `{"runs": []}`, ErrSchemaVersion,
			"results file has no schema_version; this rlbench reads version 1"},
		{"null version", `{"schema_version": null}`, ErrSchemaVersion,
			"results file has no schema_version; this rlbench reads version 1"},
		{"null", `null`, ErrSchemaVersion, ""},
		{"version as string", `{"schema_version": "1"}`, ErrMalformed,
			`malformed results file: schema_version "1" is not a whole number`},
		{"version on two lines", "{\"schema_version\": [\n0]}", ErrMalformed,
			"malformed results file: schema_version [0] is not a whole number"},
		{"fractional version", `{"schema_version": 1.5}`, ErrMalformed, ""},
		{"garbage", `rlbench was here`, ErrMalformed,
			"malformed results file: line 1, column 1: invalid character 'r' looking for beginning of value"},
		{"empty", ``, ErrMalformed, ""},
		{"truncated", `{"schema_version": 1, "runs": [`, ErrMalformed, ""},
		{"trailing data", `{"schema_version": 1} {}`, ErrMalformed, ""},
		{"array", `[1, 2]`, ErrMalformed, ""},
		{"wrong type", "{\"schema_version\": 1,\n\"runs\": [{\"counts\": {\"sent\": \"many\"}}]}", ErrMalformed, ""},
		{"bad time", `{"schema_version": 1, "started_at": "yesterday"}`, ErrMalformed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := decodeReader(strings.NewReader(tt.input))
			if tt.wantErr == nil {
				if err != nil || f == nil {
					t.Fatalf("Decode = %v, %v; want a file", f, err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Decode = %v, want %v", err, tt.wantErr)
			}
			if tt.wantMsg != "" && err.Error() != tt.wantMsg {
				t.Errorf("Decode error = %q, want %q", err, tt.wantMsg)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("Decode error %q spans lines", err)
			}
		})
	}
}

// smallestFile is the smallest valid results file: one interrupted before
// its first run ended, with extra inserted after the opening brace.
func smallestFile(extra string) string {
	return `{` + extra + `"schema_version": 1, "started_at": "2025-03-01T12:00:00Z", "ended_at": "2025-03-01T12:00:01Z", "end_reason": "interrupted"}`
}

func TestDecodeWrongTypePosition(t *testing.T) {
	_, err := decodeReader(strings.NewReader("{\"schema_version\": 1,\n\"runs\": [{\"counts\": {\"sent\": \"many\"}}]}"))
	if err == nil || !strings.Contains(err.Error(), "line 2, column ") || !strings.Contains(err.Error(), "runs.counts.sent") {
		t.Errorf("Decode error = %v, want the line and the field", err)
	}
}

// FuzzReadFile reads arbitrary bytes as a results file: the reader never
// panics, refuses with one line wrapping ErrSchemaVersion, ErrMalformed or
// ErrInvalid, or returns a file that validates, re-encodes and reads back
// equal, and encodes the same again.
func FuzzReadFile(f *testing.F) {
	committed, err := filepath.Glob("../results/*/results.json")
	if err != nil || len(committed) == 0 {
		f.Fatalf("no committed results files: %v", err)
	}
	written, _ := filepath.Glob("testdata/written*.json")
	for _, path := range append(committed, written...) {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, file := range []*File{fixture(), interruptedFixture()} {
		var buf bytes.Buffer
		if err := Encode(&buf, file); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	// Small damaged variants of a written file, one field broken each.
	base, err := os.ReadFile("testdata/written.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, tt := range damaged {
		if tt.edit != nil {
			f.Add(damage(f, base, tt.edit))
		} else {
			f.Add([]byte(tt.raw(string(base))))
		}
	}
	for _, s := range []string{
		smallestFile(""),
		`{"schema_version": 1}`,
		`{"schema_version": 2}`,
		`{"schema_version": 1, "started_at": "2025-03-01T12:00:00+01:00", "ended_at": "2025-03-01T12:00:00+01:00", "end_reason": "error", "runs": null}`,
		`{"schema_version": 1, "runs": null, "config": {"seed": 18446744073709551615}}`,
		`{"SCHEMA_VERSION": 1, "schema_version": 2}`,
		`not json`,
		``,
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "fuzz.json")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		first, err := ReadFile(path)
		if err != nil {
			if !errors.Is(err, ErrSchemaVersion) && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrInvalid) {
				t.Fatalf("ReadFile error %q is none of ErrSchemaVersion, ErrMalformed, ErrInvalid", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("ReadFile error %q spans lines", err)
			}
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("ReadFile error %q does not name the file", err)
			}
			return
		}
		if err := first.Validate(); err != nil {
			t.Fatalf("ReadFile returned a file that does not validate: %v", err)
		}
		var enc1 bytes.Buffer
		if err := Encode(&enc1, first); err != nil {
			t.Fatalf("Encode of a file read: %v", err)
		}
		second, err := decodeReader(bytes.NewReader(enc1.Bytes()))
		if err != nil {
			t.Fatalf("Decode of a re-encoded file: %v\n%s", err, enc1.Bytes())
		}
		if !reflect.DeepEqual(inUTC(first), inUTC(second)) {
			t.Fatalf("re-read file differs:\nfirst  %+v\nsecond %+v", first, second)
		}
		var enc2 bytes.Buffer
		if err := Encode(&enc2, second); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(enc1.Bytes(), enc2.Bytes()) {
			t.Fatalf("encoding is not stable:\n%s\n%s", enc1.Bytes(), enc2.Bytes())
		}
	})
}

// inUTC is a copy of f with its times in UTC: the same instant may decode
// into different time.Location values (a "+00:00" offset becomes Local
// where Local is UTC), which reflect.DeepEqual tells apart.
func inUTC(f *File) File {
	out := *f
	out.StartedAt = out.StartedAt.UTC()
	out.EndedAt = out.EndedAt.UTC()
	out.Runs = slices.Clone(f.Runs)
	for i := range out.Runs {
		out.Runs[i].StartedAt = out.Runs[i].StartedAt.UTC()
	}
	return out
}

// TestMalformedPath: a value that does not decode is named by its path,
// indexes included, besides its line and column.
func TestMalformedPath(t *testing.T) {
	tests := []struct {
		name, input, want string
	}{
		{"not a number", `{"schema_version": 1, "runs": [{}, {"rates": {"p99": NaN}}]}`,
			"malformed results file: runs[1].rates.p99: line 1, column 54: invalid character 'N' looking for beginning of value"},
		{"wrong type in an array", `{"schema_version": 1, "config": {"algorithms": ["a", 3]}}`,
			"malformed results file: config.algorithms[1]: line 1, column 54: json: cannot unmarshal number into Go struct field Config.config.algorithms of type string"},
		{"array for an object", `{"schema_version": 1, "runs": [{"counts": []}]}`,
			"malformed results file: runs[0].counts: line 1, column 43: json: cannot unmarshal array into Go struct field Run.runs.counts of type report.Counts"},
		{"odd key", `{"schema_version": 1, "runs": [{"counts": {"errors_by_class": {"a b\n": true}}}]}`,
			`malformed results file: runs[0].counts.errors_by_class["a b\n"]: line 1, column 76: json: cannot unmarshal bool into Go struct field Counts.runs.counts.errors_by_class of type int64`},
		{"a key expected", "{\"schema_version\": 1, \"runs\": [{\"algorithm\": \"x\", 3}]}",
			"malformed results file: runs[0]: line 1, column 51: invalid character '3' looking for beginning of object key string"},
		{"too deep", `{"schema_version": 1, "config": {"algorithms": ` + strings.Repeat("[", 20000) + `}}`,
			"malformed results file: config.algorithms" + strings.Repeat("[0]", 27) + "…: line 1, column 10046: invalid character '[' exceeded max depth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeReader(strings.NewReader(tt.input))
			if err == nil || err.Error() != tt.want {
				t.Errorf("Decode error = %v\nwant %s", err, tt.want)
			}
		})
	}
}

// decodeReader reads a results file from r as ReadFile reads one from disk.
func decodeReader(r io.Reader) (*File, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return decode("", data)
}
