package serve

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/rlbench/rlbench/algorithms"
)

// FallbackRole is the role whose limit applies to a token with no role or
// a role that has no limit of its own, as in the seed.
const FallbackRole = "free"

// SeedRoles are the seed's per-role limits: free 100 and premium 500
// requests per 10 minutes.
func SeedRoles() map[string]algorithms.Limit {
	return map[string]algorithms.Limit{
		"free":    {Requests: 100, Window: 10 * time.Minute},
		"premium": {Requests: 500, Window: 10 * time.Minute},
	}
}

// JWT identifies requests by the HS256 bearer token in their
// Authorization header: the user_id claim is the key, the role claim picks
// the limit. The zero value refuses every token; a JWT is safe for
// concurrent use once built.
type JWT struct {
	// Secret is the HS256 key tokens are signed with.
	Secret []byte
	// Roles are the limits by role; FallbackRole's applies to any other
	// role and must be present.
	Roles map[string]algorithms.Limit
	// Now is the clock expiry is checked on; nil means time.Now.
	Now func() time.Time
}

// Identify is an Identify over j. It refuses with 401 a request with no
// bearer token, or one that is malformed, expired, signed with another key
// or another algorithm than HS256 (alg none included), or has no user_id.
func (j *JWT) Identify(r *http.Request) (Identity, error) {
	auth := r.Header.Get("Authorization")
	scheme, raw, ok := strings.Cut(auth, " ")
	if auth == "" || !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(raw) == "" {
		return Identity{}, unauthorized("missing bearer token: want an Authorization: Bearer <token> header")
	}
	opts := []jwt.ParserOption{jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithJSONNumber()}
	if j.Now != nil {
		opts = append(opts, jwt.WithTimeFunc(j.Now))
	}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(strings.TrimSpace(raw), claims, func(*jwt.Token) (any, error) {
		if len(j.Secret) == 0 {
			return nil, errors.New("no secret configured")
		}
		return j.Secret, nil
	}, opts...)
	if err != nil {
		return Identity{}, unauthorized(tokenReason(err))
	}
	user, ok := claimText(claims["user_id"])
	if !ok {
		return Identity{}, unauthorized("token has no user_id claim: want a string or a number")
	}
	role, _ := claims["role"].(string)
	limit, known := j.Roles[role]
	if !known {
		role, limit = FallbackRole, j.Roles[FallbackRole]
	}
	return Identity{Key: "user:" + user, Limit: limit, Role: role}, nil
}

// tokenReason words a parse error for the 401's body: which check failed.
func tokenReason(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed token: " + err.Error()
	case errors.Is(err, jwt.ErrTokenExpired):
		return "token is expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "token is not valid yet"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid) && strings.Contains(err.Error(), "signing method"):
		// WithValidMethods refused the header's alg, none included.
		return "token is not signed with HS256: " + err.Error()
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "token signature is invalid"
	}
	return "invalid token: " + err.Error()
}

// claimText is a user_id claim as a key: a non-empty string, or a number
// as written in the token.
func claimText(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, v != ""
	case json.Number:
		return v.String(), true
	}
	return "", false
}

func unauthorized(reason string) *Refusal {
	return &Refusal{Status: http.StatusUnauthorized, Reason: reason}
}

// NewJWT checks secret and roles and builds a JWT of them: the secret
// must not be empty, every role's limit must be valid, and FallbackRole
// must have one.
func NewJWT(secret []byte, roles map[string]algorithms.Limit) (*JWT, error) {
	if len(secret) == 0 {
		return nil, ErrEmptySecret
	}
	if _, ok := roles[FallbackRole]; !ok {
		return nil, fmt.Errorf("%w: no limit for role %q, which unknown roles fall back to", algorithms.ErrInvalidLimit, FallbackRole)
	}
	for name, l := range roles {
		if err := l.Validate(); err != nil {
			return nil, fmt.Errorf("role %q: %w", name, err)
		}
	}
	return &JWT{Secret: secret, Roles: roles}, nil
}

// ErrEmptySecret is NewJWT's error for an empty secret, with which any
// one could sign a token.
var ErrEmptySecret = errors.New("empty JWT secret")
