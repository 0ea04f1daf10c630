package serve

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// Server serves a handler on a listener until Shutdown, which lets the
// requests in flight finish. Its methods are safe for concurrent use.
type Server struct {
	http *http.Server
	ln   net.Listener
}

// Listen binds addr, such as 127.0.0.1:8080 (port 0 picks a free one), and
// returns a Server that is not yet serving: a port in use is an error
// here, before anything else starts.
func Listen(addr string) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &Server{
		http: &http.Server{
			// A client that trickles its headers holds a connection, not
			// the server.
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       2 * time.Minute,
		},
		ln: ln,
	}, nil
}

// Addr is the address the server listens on, with the port chosen.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Serve answers requests with h until Shutdown, then returns nil; any
// other end is an error. Call it once.
func (s *Server) Serve(h http.Handler) error {
	s.http.Handler = h
	if err := s.http.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown stops accepting connections, closes idle ones and waits for the
// requests in flight to be answered, or for ctx to end: then it closes
// what is left and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.http.Shutdown(ctx)
	if err != nil {
		_ = s.http.Close()
	}
	_ = s.ln.Close() // for a server that never served; closed twice otherwise
	return err
}
