package workload

import (
	"errors"
	"fmt"
)

// ErrInvalidPacer is wrapped by every error of a pacer constructor.
var ErrInvalidPacer = errors.New("invalid pacer")

// ErrInvalidKeys is wrapped by every error of a key chooser or tier
// constructor.
var ErrInvalidKeys = errors.New("invalid keys")

// FieldError is a value a pacer, key chooser or tier cannot use: the
// field it was given for, named as bench.Load names it ("rate",
// "burst-size", "keys", "tier"), the value as given, and what is accepted.
// It reads "invalid rate 0: must be a positive number of requests per
// second"; a command names the field the way its users set it (rlbench's
// flags share these names).
type FieldError struct {
	// Kind is ErrInvalidPacer or ErrInvalidKeys.
	Kind  error
	Field string
	// Value is the value as given, "" when the field was not given.
	Value string
	Want  string
}

func (e *FieldError) Error() string {
	if e.Value == "" {
		return "invalid " + e.Field + ": " + e.Want
	}
	return "invalid " + e.Field + " " + e.Value + ": " + e.Want
}

func (e *FieldError) Unwrap() error { return e.Kind }

// invalid is a FieldError; value is formatted with %v, want with args.
func invalid(kind error, field string, value any, want string, args ...any) *FieldError {
	v := fmt.Sprint(value)
	if s, ok := value.(string); ok {
		v = s
	}
	return &FieldError{Kind: kind, Field: field, Value: v, Want: fmt.Sprintf(want, args...)}
}
