package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"

	"github.com/rlbench/rlbench/bench"
	"github.com/rlbench/rlbench/metrics"
	"github.com/rlbench/rlbench/serve"
)

// metricsServer serves /metrics of a plan's runs at --metrics-addr while
// they last.
type metricsServer struct {
	m      *metrics.Metrics
	srv    *serve.Server
	served chan error
}

// startMetrics listens on --metrics-addr, before anything connects, so
// that a port in use stops the command first; nil without the flag.
func startMetrics(opts *RunOptions) (*metricsServer, error) {
	if opts.MetricsAddr == "" {
		return nil, nil
	}
	srv, err := serve.Listen(opts.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on --metrics-addr %s: %w", opts.MetricsAddr, err)
	}
	ms := &metricsServer{m: metrics.New(), srv: srv, served: make(chan error, 1)}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", ms.m.Handler())
	go func() { ms.served <- srv.Serve(mux) }()
	if !opts.Global.Quiet {
		fmt.Fprintf(opts.IO.Err, "rlbench: metrics at http://%s/metrics\n", srv.Addr())
	}
	return ms, nil
}

// watch is next with every run counted, on the session's target kind.
func (ms *metricsServer) watch(s *bench.Session, next bench.Watch) bench.Watch {
	if ms == nil {
		return next
	}
	return ms.m.Watch(s.Info.Kind, next)
}

// stop lets a scrape in progress finish, then stops serving.
func (ms *metricsServer) stop() {
	if ms == nil {
		return
	}
	_ = ms.srv.Shutdown(context.Background())
	<-ms.served
}

// validListenAddr reports whether addr is host:port with a port number
// (the host may be empty: every interface).
func validListenAddr(addr string) bool {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 0 && n <= 65535
}
