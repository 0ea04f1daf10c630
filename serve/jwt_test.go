package serve_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/rlbench/rlbench/algorithms"
	"github.com/rlbench/rlbench/serve"
)

var secret = []byte("correct horse battery staple")

// token signs claims with method and key.
func token(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestJWT: valid tokens are counted by user at their role's limit, an
// unknown or missing role at free's; every bad token is refused with 401,
// WWW-Authenticate and the reason, before the limiter is asked.
func TestJWT(t *testing.T) {
	_, rdb := newMiniredis(t)
	l, err := algorithms.New("sliding", rdb, algorithms.Options{})
	if err != nil {
		t.Fatal(err)
	}
	roles := map[string]algorithms.Limit{
		"free":    {Requests: 2, Window: 10 * time.Minute},
		"premium": {Requests: 3, Window: 10 * time.Minute},
	}
	j, err := serve.NewJWT(secret, roles)
	if err != nil {
		t.Fatal(err)
	}
	j.Now = func() time.Time { return noon }
	url := newAPI(t, serve.Options{Limiter: l, Identify: j.Identify})
	later := jwt.NewNumericDate(noon.Add(time.Hour))

	passes := []struct {
		name     string
		claims   jwt.MapClaims
		policy   string // RateLimit-Policy
		accepted int
	}{
		{"free", jwt.MapClaims{"user_id": "u1", "role": "free", "exp": later}, `"default";q=2;w=600`, 2},
		{"premium", jwt.MapClaims{"user_id": "u2", "role": "premium", "exp": later}, `"default";q=3;w=600`, 3},
		{"numeric user_id", jwt.MapClaims{"user_id": 42, "role": "premium", "exp": later}, `"default";q=3;w=600`, 3},
		{"unknown role", jwt.MapClaims{"user_id": "u3", "role": "gold", "exp": later}, `"default";q=2;w=600`, 2},
		{"no role", jwt.MapClaims{"user_id": "u4"}, `"default";q=2;w=600`, 2},
	}
	for _, tt := range passes {
		t.Run(tt.name, func(t *testing.T) {
			bearer := "Bearer " + token(t, jwt.SigningMethodHS256, secret, tt.claims)
			for i := range tt.accepted + 1 {
				a := get(t, url, "Authorization", bearer)
				want := http.StatusOK
				if i == tt.accepted {
					want = http.StatusTooManyRequests
				}
				if a.status != want || a.header.Get("RateLimit-Policy") != tt.policy {
					t.Errorf("request %d: %d with RateLimit-Policy %q, want %d and %q", i+1, a.status, a.header.Get("RateLimit-Policy"), want, tt.policy)
				}
			}
		})
	}
	// Counted by user, not by token: a second token of u1 finds it spent.
	again := token(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"user_id": "u1", "role": "free", "iat": 1})
	if a := get(t, url, "Authorization", "Bearer "+again); a.status != http.StatusTooManyRequests {
		t.Errorf("another token of u1: %d, want 429", a.status)
	}

	refusals := []struct {
		name, authorization, detail string
	}{
		{"missing", "", "missing bearer token: want an Authorization: Bearer <token> header"},
		{"basic", "Basic dTE6cGFzcw==", "missing bearer token: want an Authorization: Bearer <token> header"},
		{"empty bearer", "Bearer ", "missing bearer token: want an Authorization: Bearer <token> header"},
		{"malformed", "Bearer not.a.token", "malformed token: token is malformed: could not JSON decode header: invalid character '\\u009e' looking for beginning of value"},
		{"two parts", "Bearer abc.def", "malformed token: token is malformed: token contains an invalid number of segments"},
		{"expired", "Bearer " + token(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"user_id": "u5", "exp": jwt.NewNumericDate(noon.Add(-time.Second))}),
			"token is expired"},
		{"wrong secret", "Bearer " + token(t, jwt.SigningMethodHS256, []byte("another secret"), jwt.MapClaims{"user_id": "u1", "exp": later}),
			"token signature is invalid"},
		{"alg none", "Bearer " + token(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, jwt.MapClaims{"user_id": "u1", "role": "premium"}),
			"token is not signed with HS256: token signature is invalid: signing method none is invalid"},
		{"HS512", "Bearer " + token(t, jwt.SigningMethodHS512, secret, jwt.MapClaims{"user_id": "u1"}),
			"token is not signed with HS256: token signature is invalid: signing method HS512 is invalid"},
		{"no user_id", "Bearer " + token(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"role": "premium", "exp": later}),
			"token has no user_id claim: want a string or a number"},
		{"empty user_id", "Bearer " + token(t, jwt.SigningMethodHS256, secret, jwt.MapClaims{"user_id": ""}),
			"token has no user_id claim: want a string or a number"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			var a answer
			if tt.authorization == "" {
				a = get(t, url)
			} else {
				a = get(t, url, "Authorization", tt.authorization)
			}
			if a.status != http.StatusUnauthorized {
				t.Fatalf("%d %q, want 401", a.status, a.body)
			}
			if got := a.header.Get("WWW-Authenticate"); got != `Bearer error="invalid_token"` {
				t.Errorf("WWW-Authenticate %q", got)
			}
			p := problemBody(t, a)
			if p["detail"] != tt.detail || p["status"] != 401.0 || p["title"] != "Unauthorized" {
				t.Errorf("body %v, want status 401 and detail %q", p, tt.detail)
			}
			if v := a.header.Get("RateLimit"); v != "" {
				t.Errorf("RateLimit %q on a refusal: the limiter was asked", v)
			}
		})
	}
}

func TestNewJWT(t *testing.T) {
	if _, err := serve.NewJWT(nil, serve.SeedRoles()); err != serve.ErrEmptySecret {
		t.Errorf("empty secret: %v, want ErrEmptySecret", err)
	}
	if _, err := serve.NewJWT(secret, map[string]algorithms.Limit{"premium": {Requests: 5, Window: time.Second}}); err == nil ||
		err.Error() != `invalid limit: no limit for role "free", which unknown roles fall back to` {
		t.Errorf("no free role: %v", err)
	}
	if _, err := serve.NewJWT(secret, map[string]algorithms.Limit{"free": {Requests: 0, Window: time.Second}}); err == nil ||
		err.Error() != `role "free": invalid limit: requests 0 must be at least 1` {
		t.Errorf("bad limit: %v", err)
	}
	want := map[string]algorithms.Limit{"free": {Requests: 100, Window: 10 * time.Minute}, "premium": {Requests: 500, Window: 10 * time.Minute}}
	if got := serve.SeedRoles(); len(got) != 2 || got["free"] != want["free"] || got["premium"] != want["premium"] {
		t.Errorf("SeedRoles %v, want %v", got, want)
	}
}
