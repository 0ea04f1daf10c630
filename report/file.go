package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// ErrSchemaVersion means a results file has no schema_version or one this
// rlbench does not read. Its text completes the message
// "results file x.json has schema_version 2; this rlbench reads version 1",
// so that errors wrapping it say both what was found and what is accepted.
var ErrSchemaVersion = fmt.Errorf("this rlbench reads version %d", SchemaVersion)

// ErrMalformed means a results file is not valid JSON or does not fit the
// model (a string where a number belongs, say). Errors wrapping it name the
// file and give the JSON error on one line.
var ErrMalformed = errors.New("malformed results file")

// WriteFile writes f as indented JSON to path with WriteOutput: a regular
// file atomically (temporary file, fsync, rename), so a reader never sees
// half a file and a failed write leaves any previous file whole; a device
// or FIFO in place. It sets f.SchemaVersion to SchemaVersion when zero.
func WriteFile(path string, f *File) (err error) {
	if f == nil {
		return fmt.Errorf("write results file %s: no results", path)
	}
	if f.SchemaVersion == 0 {
		f.SchemaVersion = SchemaVersion
	}
	// Encode before touching the disk, so that a value JSON cannot hold
	// (a NaN rate) fails without creating anything.
	var buf bytes.Buffer
	if err := Encode(&buf, f); err != nil {
		return fmt.Errorf("write results file %s: %w", path, err)
	}
	if err := WriteOutput(path, buf.Bytes()); err != nil {
		return fmt.Errorf("write results file %s: %w", path, err)
	}
	return nil
}

// syncDir makes a rename in dir durable. It is best effort: some file
// systems refuse to sync a directory, and the file is already complete
// under its name by then.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}

// Encode writes f as indented JSON to w. A zero SchemaVersion is written as
// SchemaVersion, since a file without one could not be read back; f itself
// is left as it is.
func Encode(w io.Writer, f *File) error {
	if f == nil {
		return errors.New("encode results: no results")
	}
	out := *f
	if out.SchemaVersion == 0 {
		out.SchemaVersion = SchemaVersion
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&out); err != nil {
		return fmt.Errorf("encode results: %w", err)
	}
	return nil
}

// ReadFile reads and checks a results file; errors name the file. It is
// the one way every command reads results: a file that decode would
// refuse is refused, with the same one-line error, whatever reads it.
//
// It refuses a missing schema_version or any other than SchemaVersion
// with ErrSchemaVersion ("results file x.json has schema_version 2; this
// rlbench reads version 1"), input that is not a results file with
// ErrMalformed, and one that File.Validate finds wrong with a *FieldError
// wrapping ErrInvalid. Unknown fields are ignored: a later minor revision
// of the format may add some.
func ReadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read results file: %w", err)
	}
	return decode(path, data)
}

// decode checks the schema version before decoding the whole file, so that
// a file from a newer rlbench is refused for its version rather than for
// whichever field changed shape. name is the file's name for messages, or
// empty when there is none.
func decode(name string, data []byte) (*File, error) {
	what := "results file" + spaced(name)
	var probe struct {
		SchemaVersion *json.RawMessage `json:"schema_version"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, malformed(name, data, err)
	}
	if probe.SchemaVersion == nil || string(*probe.SchemaVersion) == "null" {
		return nil, fmt.Errorf("%s has no schema_version; %w", what, ErrSchemaVersion)
	}
	var version int
	if err := json.Unmarshal(*probe.SchemaVersion, &version); err != nil {
		return nil, fmt.Errorf("%w%s: schema_version %s is not a whole number", ErrMalformed, spaced(name), snippet(*probe.SchemaVersion))
	}
	if version != SchemaVersion {
		return nil, fmt.Errorf("%s has schema_version %d; %w", what, version, ErrSchemaVersion)
	}
	f := new(File)
	if err := json.Unmarshal(data, f); err != nil {
		return nil, malformed(name, data, err)
	}
	if err := f.Validate(); err != nil {
		var field *FieldError
		if errors.As(err, &field) {
			field.File = name
		}
		return nil, err
	}
	return f, nil
}

// malformed wraps a JSON error with ErrMalformed and the file's name and,
// when the error knows its byte offset, turns that into the path of the
// value and a line and column that a person can find:
// "malformed results file x.json: runs[3].rates.p99: line 80, column 14: ...".
func malformed(name string, data []byte, err error) error {
	var offset int64 = -1
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		offset = syntax.Offset
	case errors.As(err, &typ):
		offset = typ.Offset
	}
	if offset < 0 || offset > int64(len(data)) {
		return fmt.Errorf("%w%s: %v", ErrMalformed, spaced(name), err)
	}
	// The offset counts the bytes read, the offending one included.
	line, col := position(data[:max(offset-1, 0)])
	where := ""
	if path := pathAt(data, offset); path != "" {
		where = " " + path + ":"
	}
	return fmt.Errorf("%w%s:%s line %d, column %d: %v", ErrMalformed, spaced(name), where, line, col, err)
}

// pathAt is the path, by JSON names and indexes, of the value of data
// that ends at or runs past byte offset: where a decoding error happened,
// as "runs[3].rates.offered_per_s". It is empty at the top level, and cut
// short near a hundred bytes.
func pathAt(data []byte, offset int64) string {
	type frame struct {
		array bool
		index int    // an array's value being read, -1 before the first
		key   string // an object's key being read, or the last one
		inKey bool   // an object's next token is a key
	}
	var stack []frame
	// path is where the next token lies; it is built once, at the end,
	// so that deep nesting costs no more than the tokens.
	path := func() string {
		var b strings.Builder
		for i, f := range stack {
			next := i == len(stack)-1
			switch {
			case f.array && next:
				fmt.Fprintf(&b, "[%d]", f.index+1)
			case f.array:
				fmt.Fprintf(&b, "[%d]", f.index)
			case next && f.inKey:
			case isName(f.key) && b.Len() > 0:
				b.WriteString("." + f.key)
			case isName(f.key):
				b.WriteString(f.key)
			default:
				fmt.Fprintf(&b, "[%q]", f.key)
			}
		}
		const most = 100
		if s := b.String(); len(s) > most {
			// Cut between two parts of the path.
			return s[:max(strings.LastIndexAny(s[:most], ".["), 1)] + "…"
		}
		return b.String()
	}
	// A value starts: the next token of its object is a key.
	started := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].array {
				stack[n-1].index++
			} else {
				stack[n-1].inKey = true
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		// The token may change the top frame, push one or pop it: keep
		// what undoes that.
		n := len(stack)
		var top frame
		if n > 0 {
			top = stack[n-1]
		}
		tok, err := dec.Token()
		if err != nil || dec.InputOffset() >= offset {
			stack = stack[:n]
			if n > 0 {
				stack[n-1] = top
			}
			return path()
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			started()
			stack = append(stack, frame{array: tok == json.Delim('['), index: -1, inKey: true})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		default:
			if n := len(stack); n > 0 && !stack[n-1].array && stack[n-1].inKey {
				stack[n-1].key, _ = tok.(string)
				stack[n-1].inKey = false
				continue
			}
			started()
		}
	}
}

// snippet is a JSON value for an error message: on one line, and cut
// short when long.
func snippet(raw json.RawMessage) string {
	var buf bytes.Buffer
	if json.Compact(&buf, raw) != nil {
		return "(invalid)"
	}
	const most = 40
	if s := buf.String(); len(s) <= most {
		return s
	}
	return string(bytes.ToValidUTF8(buf.Bytes()[:most], nil)) + "…"
}

// spaced is name with a leading space, or empty when name is.
func spaced(name string) string {
	if name == "" {
		return ""
	}
	return " " + name
}

// position is the 1-based line and column of the byte that follows before.
func position(before []byte) (line, col int) {
	line = 1 + bytes.Count(before, []byte("\n"))
	col = len(before) - bytes.LastIndexByte(before, '\n')
	return line, col
}
