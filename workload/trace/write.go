package trace

import (
	"bufio"
	"compress/gzip"
	"context"
	"io"
	"strconv"
	"time"

	"github.com/rlbench/rlbench/workload"
)

// Write writes the stream s to w as a CSV trace, "offset_us,key" then one
// line a request (and a cost column when withCost), gzipped when gz, and
// returns the requests written. It streams: memory does not grow with the
// trace. A cancelled ctx stops it with ctx's error.
func Write(ctx context.Context, w io.Writer, s workload.Stream, gz, withCost bool) (int64, error) {
	var gzw *gzip.Writer
	if gz {
		gzw, _ = gzip.NewWriterLevel(w, gzip.BestSpeed) // a trace is big and cheap to store
		w = gzw
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	if withCost {
		bw.WriteString("offset_us,key,cost\n")
	} else {
		bw.WriteString("offset_us,key\n")
	}
	var n int64
	var buf []byte
	for {
		a, ok := s.Next()
		if !ok {
			break
		}
		if n%65536 == 0 && ctx.Err() != nil {
			return n, ctx.Err()
		}
		buf = strconv.AppendInt(buf[:0], int64(a.Offset/time.Microsecond), 10)
		buf = append(buf, ',')
		buf = append(buf, s.Name(a.Key)...)
		if withCost {
			buf = append(buf, ',')
			buf = strconv.AppendInt(buf, a.Cost, 10)
		}
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return n, err
		}
		n++
	}
	if err := s.Err(); err != nil {
		return n, err
	}
	if err := bw.Flush(); err != nil {
		return n, err
	}
	if gzw != nil {
		return n, gzw.Close()
	}
	return n, nil
}
