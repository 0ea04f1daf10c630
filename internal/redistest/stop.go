package redistest

import "testing"

// Kill kills s's redis-server by its pid with SIGKILL, as a crash would,
// and returns once the process is gone: connections to it are broken and
// new ones refused. Its state is lost. The test's Cleanup then has nothing
// left to stop.
func (s *Server) Kill(t testing.TB) {
	t.Helper()
	_ = s.stop() // "signal: killed"
}
