package trace

import (
	"context"
	"io"
	"testing"
	"time"
)

func TestQuickGen(t *testing.T) {
	p := DefaultParams()
	p.Sources = 270000
	p.Rate = 100000
	p.Duration = 100 * time.Second
	g, err := NewGenerator(p)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	n, err := Write(context.Background(), io.Discard, g, false, false)
	t.Logf("%d lines in %v, %v", n, time.Since(start), err)
}
