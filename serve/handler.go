package serve

import (
	"net/http"
)

// Welcome is the body of GET /, as the seed answered it.
const Welcome = `{"message":"Welcome to the rate-limited API"}` + "\n"

// Handler is the API: GET (and HEAD) / answers Welcome as JSON; any other
// path is 404 and any other method 405, each with a problem+json body.
func Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(Welcome))
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern == "" {
			if r.URL.Path == "/" {
				w.Header().Set("Allow", "GET, HEAD")
				writeProblem(w, http.StatusMethodNotAllowed, r.Method+" is not allowed on /: want GET", 0)
				return
			}
			writeProblem(w, http.StatusNotFound, "no such path "+r.URL.Path+": the API serves GET /", 0)
			return
		}
		mux.ServeHTTP(w, r)
	})
}
