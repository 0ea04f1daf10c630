// Package trace reads recorded request traces and generates synthetic ones
// like production API traffic, each a workload.Stream for a run or a
// simulation.
//
// A trace is CSV with a header, or JSON lines, optionally gzipped (told by
// its first bytes, not its name). Each request has a time offset from the
// trace's start, a key and, optionally, a cost:
//
//	offset_us,key,cost          {"offset_us":0,"key":"alice","cost":1}
//	0,alice,1                   {"offset_ms":1.5,"key":"bob"}
//	1500,bob,2                  {"offset":"2s","key":"alice"}
//
// The offset is one column of offset_us (whole microseconds), offset_ms
// (milliseconds, fractions to the microsecond) or offset (a Go duration,
// such as 1.5s); offsets never decrease. Other CSV columns are ignored.
package trace

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/rlbench/rlbench/workload"
)

// Limits of what a trace may hold.
const (
	// MaxOffset is the latest offset: 366 days, the longest run.
	MaxOffset = 366 * 24 * time.Hour
	// MaxCost is the most units one request may ask for.
	MaxCost = 1_000_000
	// MaxKeyLen is the longest key, in bytes.
	MaxKeyLen = 256
	// MinSpeed and MaxSpeed bound the speed a trace is replayed at.
	MinSpeed = 0.001
	MaxSpeed = 1e6
)

// ErrInvalid is matched (errors.Is) by every error about a trace's
// content, each an *Error.
var ErrInvalid = errors.New("invalid trace")

// Error is what is wrong with a trace: "FILE:LINE: what is wrong, what is
// accepted", or "FILE: ..." for the file as a whole (Line 0).
type Error struct {
	Path string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return e.Path + ": " + e.Msg
	}
	return e.Path + ":" + strconv.Itoa(e.Line) + ": " + e.Msg
}

// Is makes every Error match ErrInvalid.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// fileErrorf is an Error about the file as a whole.
func fileErrorf(path, format string, args ...any) error {
	return &Error{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// File is a trace that Scan has read through and found valid: what a run
// needs to know before it starts (its keys, its length, its hash), and
// Open to replay it.
type File struct {
	// Path is the file as named; SHA256 the hex digest of its bytes as
	// stored (compressed, if it is).
	Path   string
	SHA256 string
	// Lines is the number of requests; Last the offset of the last one.
	Lines int64
	Last  time.Duration
	// Gzip says the file is gzipped, JSON that it is JSON lines.
	Gzip, JSON bool

	keys  map[string]int
	names []string
}

// Keys is the number of distinct keys of the trace.
func (f *File) Keys() int { return len(f.names) }

// Scan reads the trace at path through once, checking every line, and
// returns what it found. The first bad line is an error wrapping
// ErrInvalid, "FILE:LINE: ...". Memory grows with the distinct keys, not
// the lines.
func Scan(path string) (*File, error) {
	f := &File{Path: path, keys: map[string]int{}}
	r, err := open(path)
	if err != nil {
		return nil, err
	}
	defer r.close()
	f.Gzip, f.JSON = r.gzip, r.p.json
	var last time.Duration
	for {
		line, off, key, _, err := r.p.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if off < last {
			return nil, r.p.errorf(line, "offset %s is before the previous line's %s; want offsets that never decrease", off, last)
		}
		last = off
		if _, ok := f.keys[key]; !ok {
			key = strings.Clone(key) // not the whole line it was cut from
			f.keys[key] = len(f.names)
			f.names = append(f.names, key)
		}
		f.Lines++
	}
	if f.Lines == 0 {
		return nil, fileErrorf(path, "no requests; want a header line and then one line per request")
	}
	f.Last = last
	f.SHA256 = hex.EncodeToString(r.hash.Sum(nil))
	return f, nil
}

// CheckSpeed refuses a replay speed outside [MinSpeed, MaxSpeed] or one
// that would put the trace's last request past MaxOffset.
func (f *File) CheckSpeed(speed float64) error {
	if math.IsNaN(speed) || speed < MinSpeed || speed > MaxSpeed {
		return fmt.Errorf("speed %v is out of range; want %v to %v (1 is the trace's own pace, 2 twice as fast)", speed, MinSpeed, MaxSpeed)
	}
	if scaled := float64(f.Last) / speed; scaled > float64(MaxOffset) {
		return fmt.Errorf("speed %v puts the trace's last request (at %s) %s in, past %s; want a speed of at least %.3g",
			speed, f.Last, time.Duration(math.Min(scaled, math.MaxInt64)).Round(time.Hour), MaxOffset, float64(f.Last)/float64(MaxOffset))
	}
	return nil
}

// Open returns the trace as a Stream, replayed at speed (1 is its own
// pace): offsets are divided by speed. Each call reads the file anew;
// Close it when done. A file that changed since Scan ends the stream with
// an error.
func (f *File) Open(speed float64) (*Replay, error) {
	if err := f.CheckSpeed(speed); err != nil {
		return nil, err
	}
	r, err := open(f.Path)
	if err != nil {
		return nil, err
	}
	return &Replay{f: f, r: r, speed: speed}, nil
}

// Replay is a scanned trace being read again, a workload.Stream.
type Replay struct {
	f     *File
	r     *reader
	speed float64
	n     int64
	err   error
	done  bool
}

var _ workload.Stream = (*Replay)(nil)

// Next is the trace's next request.
func (p *Replay) Next() (workload.Arrival, bool) {
	if p.done {
		return workload.Arrival{}, false
	}
	line, off, key, cost, err := p.r.p.next()
	if err == io.EOF {
		p.done = true
		if p.n != p.f.Lines || hex.EncodeToString(p.r.hash.Sum(nil)) != p.f.SHA256 {
			p.err = fmt.Errorf("trace %s changed since it was checked", p.f.Path)
		}
		return workload.Arrival{}, false
	}
	k, ok := p.f.keys[key]
	if err == nil && !ok {
		err = fmt.Errorf("trace %s changed since it was checked: line %d has a new key %q", p.f.Path, line, key)
	}
	if err != nil {
		p.done, p.err = true, err
		return workload.Arrival{}, false
	}
	p.n++
	if p.speed != 1 {
		off = time.Duration(math.Round(float64(off) / p.speed))
	}
	return workload.Arrival{Offset: off, Key: k, Cost: cost}, true
}

// Err is what stopped the replay early.
func (p *Replay) Err() error { return p.err }

// Keys is the number of distinct keys; Name key k's name in the trace.
func (p *Replay) Keys() int         { return len(p.f.names) }
func (p *Replay) Name(k int) string { return p.f.names[k] }

// Rate is the requests a second over the whole trace at its speed.
func (p *Replay) Rate() float64 {
	span := float64(p.f.Last) / p.speed
	if span <= 0 {
		return 0
	}
	return float64(p.f.Lines) / (span / float64(time.Second))
}

// String is like "trace api.csv.gz (1200000 requests) at 2x".
func (p *Replay) String() string {
	return fmt.Sprintf("trace %s (%d requests) at %sx", p.f.Path, p.f.Lines, strconv.FormatFloat(p.speed, 'g', -1, 64))
}

// Close closes the file.
func (p *Replay) Close() error { return p.r.close() }

// reader reads one trace file: bytes hashed as stored, gunzipped when
// they start with gzip's magic, then parsed line by line.
type reader struct {
	file *os.File
	gz   *gzip.Reader
	gzip bool
	hash hash.Hash
	p    *parser
}

func open(path string) (*reader, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("trace: %w", err)
	}
	if fi, err := fh.Stat(); err == nil && fi.IsDir() {
		fh.Close()
		return nil, fmt.Errorf("trace %s is a directory; want a CSV or JSON lines file", path)
	}
	r := &reader{file: fh, hash: sha256.New()}
	br := bufio.NewReaderSize(io.TeeReader(fh, r.hash), 1<<16)
	var src io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		r.gz, err = gzip.NewReader(br)
		if err != nil {
			fh.Close()
			return nil, fileErrorf(path, "not a valid gzip file: %v", err)
		}
		r.gzip = true
		src = bufio.NewReaderSize(r.gz, 1<<16)
	}
	r.p, err = newParser(path, src.(*bufio.Reader))
	if err != nil {
		fh.Close()
		return nil, err
	}
	return r, nil
}

func (r *reader) close() error {
	if r.gz != nil {
		r.gz.Close()
	}
	return r.file.Close()
}

// parser parses the lines of a trace, CSV or JSON lines.
type parser struct {
	path string
	json bool
	in   *bufio.Reader
	line int // lines read so far (JSON lines)

	csv            *csv.Reader
	offCol, keyCol int
	costCol        int // -1: no cost column
	offUnit        string
	headerFields   int
}

// Offset column names and what each holds.
var offsetColumns = []string{"offset_us", "offset_ms", "offset"}

const accepted = "want a CSV header naming offset_us, offset_ms or offset, key and optionally cost, or JSON lines such as {\"offset_us\":0,\"key\":\"alice\",\"cost\":1}"

func newParser(path string, in *bufio.Reader) (*parser, error) {
	p := &parser{path: path, in: in, costCol: -1, offCol: -1, keyCol: -1}
	// JSON lines start with '{' (after blank space); anything else is CSV.
	for {
		b, err := in.Peek(1)
		if err != nil {
			if err == io.EOF {
				return nil, fileErrorf(path, "empty; %s", accepted)
			}
			if errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, fileErrorf(path, "damaged gzip data: %v", err)
			}
			return nil, fmt.Errorf("trace %s: %w", path, err)
		}
		if b[0] == '{' {
			p.json = true
			return p, nil
		}
		if b[0] != ' ' && b[0] != '\t' && b[0] != '\r' && b[0] != '\n' {
			break
		}
		in.ReadByte()
		if b[0] == '\n' {
			p.line++
		}
	}
	p.csv = csv.NewReader(in)
	p.csv.ReuseRecord = true
	p.csv.TrimLeadingSpace = true
	header, err := p.csv.Read()
	if err != nil {
		return nil, p.csvError(err)
	}
	p.headerFields = len(header)
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		var dup bool
		switch {
		case slices.Contains(offsetColumns, h):
			dup = p.offCol >= 0
			p.offCol, p.offUnit = i, h
		case h == "key":
			dup = p.keyCol >= 0
			p.keyCol = i
		case h == "cost":
			dup = p.costCol >= 0
			p.costCol = i
		}
		if dup {
			return nil, p.errorf(p.line+1, "header names %s twice (or two offset columns); %s", h, accepted)
		}
	}
	if p.offCol < 0 || p.keyCol < 0 {
		return nil, p.errorf(p.line+1, "header %q lacks an offset or a key column; %s", strings.Join(header, ","), accepted)
	}
	return p, nil
}

// errorf is an ErrInvalid "FILE:LINE: ..." error.
func (p *parser) errorf(line int, format string, args ...any) error {
	return &Error{Path: p.path, Line: line, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		what := pe.Err.Error()
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			what = fmt.Sprintf("wrong number of fields; want %d, as in the header", p.headerFields)
		}
		return p.errorf(p.line+pe.Line, "%s", what)
	}
	if errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fileErrorf(p.path, "damaged gzip data: %v", err)
	}
	if err == io.EOF {
		return fileErrorf(p.path, "empty; %s", accepted)
	}
	return fmt.Errorf("trace %s: %w", p.path, err)
}

// next parses the next request: its line number, offset, key and cost;
// io.EOF at the end.
func (p *parser) next() (line int, off time.Duration, key string, cost int64, err error) {
	if p.json {
		return p.nextJSON()
	}
	rec, err := p.csv.Read()
	if err == io.EOF {
		return 0, 0, "", 0, io.EOF
	}
	if err != nil {
		return 0, 0, "", 0, p.csvError(err)
	}
	l, _ := p.csv.FieldPos(0)
	line = p.line + l
	off, err = p.offset(line, p.offUnit, rec[p.offCol])
	if err != nil {
		return line, 0, "", 0, err
	}
	key, err = p.key(line, rec[p.keyCol])
	if err != nil {
		return line, 0, "", 0, err
	}
	cost = 1
	if p.costCol >= 0 {
		if cost, err = p.cost(line, rec[p.costCol]); err != nil {
			return line, 0, "", 0, err
		}
	}
	return line, off, key, cost, nil
}

// jsonLine is one line of a JSON lines trace.
type jsonLine struct {
	OffsetUS *json.Number `json:"offset_us"`
	OffsetMS *json.Number `json:"offset_ms"`
	Offset   *string      `json:"offset"`
	Key      *string      `json:"key"`
	Cost     *json.Number `json:"cost"`
}

func (p *parser) nextJSON() (int, time.Duration, string, int64, error) {
	for {
		raw, err := p.in.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			return p.line + 1, 0, "", 0, p.errorf(p.line+1, "line longer than %d bytes; want one short JSON object a line", p.in.Size())
		}
		if err != nil && err != io.EOF {
			if errors.Is(err, gzip.ErrChecksum) || errors.Is(err, io.ErrUnexpectedEOF) {
				return 0, 0, "", 0, fileErrorf(p.path, "damaged gzip data: %v", err)
			}
			return 0, 0, "", 0, fmt.Errorf("trace %s: %w", p.path, err)
		}
		if len(raw) == 0 && err == io.EOF {
			return 0, 0, "", 0, io.EOF
		}
		p.line++
		line := p.line
		body := bytes.TrimSpace(raw)
		if len(body) == 0 {
			if err == io.EOF {
				return 0, 0, "", 0, io.EOF
			}
			continue
		}
		var j jsonLine
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if derr := dec.Decode(&j); derr != nil {
			return line, 0, "", 0, p.errorf(line, "not a JSON object of offset_us, key and cost (%s); %s", jsonWhat(derr), accepted)
		}
		if dec.More() {
			return line, 0, "", 0, p.errorf(line, "more than one JSON value; want one object a line")
		}
		var unit, val string
		n := 0
		if j.OffsetUS != nil {
			unit, val, n = "offset_us", j.OffsetUS.String(), n+1
		}
		if j.OffsetMS != nil {
			unit, val, n = "offset_ms", j.OffsetMS.String(), n+1
		}
		if j.Offset != nil {
			unit, val, n = "offset", *j.Offset, n+1
		}
		if n != 1 {
			return line, 0, "", 0, p.errorf(line, "%d offsets; want exactly one of offset_us, offset_ms or offset", n)
		}
		off, oerr := p.offset(line, unit, val)
		if oerr != nil {
			return line, 0, "", 0, oerr
		}
		if j.Key == nil {
			return line, 0, "", 0, p.errorf(line, "no key; want \"key\": a string, such as \"alice\"")
		}
		key, kerr := p.key(line, *j.Key)
		if kerr != nil {
			return line, 0, "", 0, kerr
		}
		cost := int64(1)
		if j.Cost != nil {
			if cost, err = p.cost(line, j.Cost.String()); err != nil {
				return line, 0, "", 0, err
			}
		}
		return line, off, key, cost, nil
	}
}

// jsonWhat says briefly what encoding/json found wrong.
func jsonWhat(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("%s is a JSON %s", te.Field, te.Value)
	}
	return err.Error()
}

const maxOffsetUS = int64(MaxOffset / time.Microsecond)

// offset parses an offset of the given column.
func (p *parser) offset(line int, unit, s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	switch unit {
	case "offset_us":
		us, err := strconv.ParseInt(s, 10, 64)
		if err != nil || us < 0 || us > maxOffsetUS {
			return 0, p.errorf(line, "offset_us %q: want a whole number of microseconds from 0 to %d (366 days)", s, maxOffsetUS)
		}
		return time.Duration(us) * time.Microsecond, nil
	case "offset_ms":
		ms, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(ms) || ms < 0 || ms > float64(maxOffsetUS/1000) {
			return 0, p.errorf(line, "offset_ms %q: want milliseconds from 0 to %d (366 days), such as 1.5", s, maxOffsetUS/1000)
		}
		return time.Duration(math.Round(ms*1000)) * time.Microsecond, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || d > MaxOffset {
		return 0, p.errorf(line, "offset %q: want a duration from 0 to 8784h (366 days), such as 1.5s or 250ms", s)
	}
	return d.Truncate(time.Microsecond), nil
}

// key checks a key: it becomes part of a Redis key and its hash tag.
func (p *parser) key(line int, s string) (string, error) {
	bad := s == "" || len(s) > MaxKeyLen || strings.ContainsAny(s, "{}") ||
		strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0
	if bad {
		return "", p.errorf(line, "key %q: want 1 to %d bytes with no spaces, control characters or braces", s, MaxKeyLen)
	}
	return s, nil
}

// cost parses a request's cost.
func (p *parser) cost(line int, s string) (int64, error) {
	s = strings.TrimSpace(s)
	c, err := strconv.ParseInt(s, 10, 64)
	if err != nil || c < 1 || c > MaxCost {
		return 0, p.errorf(line, "cost %q: want a whole number of units from 1 to %d", s, MaxCost)
	}
	return c, nil
}
