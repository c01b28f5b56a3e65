package uploadbench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/livetemplate/livetemplate/upload"
)

// throughput uploads the file with tus and POSTs the same bytes, Rounds
// times, and returns the median ratio of their throughputs, with the
// throughputs of that round in MB/s.
func (b *bench) throughput(ctx context.Context) (ratio, tusMBps, postMBps float64, err error) {
	type round struct{ ratio, tus, post float64 }
	var rounds []round
	for range b.o.Rounds {
		tok, err := b.grant(ctx, b.o.Size)
		if err != nil {
			return 0, 0, 0, err
		}
		c := &client{base: b.srv.URL, token: tok}
		start := time.Now()
		if err := c.upload(ctx, b.o.Size, b.o.Chunk); err != nil {
			return 0, 0, 0, err
		}
		tus := since(start)
		start = time.Now()
		if err := c.post(ctx, b.srv.URL+"/plain", b.o.Size); err != nil {
			return 0, 0, 0, err
		}
		post := since(start)
		mb := float64(b.o.Size) / 1e6
		rounds = append(rounds, round{post / tus, mb / tus, mb / post})
	}
	slices.SortFunc(rounds, func(x, y round) int { return cmpFloat(x.ratio, y.ratio) })
	m := rounds[len(rounds)/2]
	return m.ratio, m.tus, m.post, nil
}

func cmpFloat(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// rss uploads the large file and returns how much the process's resident
// memory grew meanwhile, at its peak, in MB: the server and the client
// (which streams the bytes from a 64 KiB pattern) together.
func (b *bench) rss(ctx context.Context) (float64, error) {
	tok, err := b.grant(ctx, b.o.LargeSize)
	if err != nil {
		return 0, err
	}
	runtime.GC()
	debug.FreeOSMemory()
	before, err := residentKB()
	if err != nil {
		return 0, err
	}
	peak := before
	stop, sampled := make(chan struct{}), sync.WaitGroup{}
	sampled.Add(1)
	go func() {
		defer sampled.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if kb, err := residentKB(); err == nil {
					peak = max(peak, kb)
				}
			}
		}
	}()
	err = (&client{base: b.srv.URL, token: tok}).upload(ctx, b.o.LargeSize, b.o.Chunk)
	close(stop)
	sampled.Wait()
	return float64(peak-before) / 1024, err
}

// residentKB returns the process's resident memory (VmRSS) in KiB.
func residentKB() (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, fmt.Errorf("resident memory: %w", err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	return 0, fmt.Errorf("resident memory: no VmRSS in /proc/self/status")
}

// resume uploads the file, drops the connection when half of it is sent,
// resumes from the offset that HEAD gives, and returns the bytes sent
// twice.
func (b *bench) resume(ctx context.Context) (int64, error) {
	tok, err := b.grant(ctx, b.o.Size)
	if err != nil {
		return 0, err
	}
	c := &client{base: b.srv.URL, token: tok}
	if err := c.create(ctx, b.o.Size); err != nil {
		return 0, err
	}
	half := b.o.Size / 2
	chunkStart := half - half%b.o.Chunk
	for off := int64(0); off < chunkStart; off += b.o.Chunk {
		if _, _, err := c.patch(ctx, off, b.o.Chunk); err != nil {
			return 0, err
		}
	}
	if err := c.drop(chunkStart, min(b.o.Chunk, b.o.Size-chunkStart), half-chunkStart); err != nil {
		return 0, err
	}
	off, err := c.head(ctx)
	if err != nil {
		return 0, err
	}
	for o := off; o < b.o.Size; o += b.o.Chunk {
		_, res, err := c.patch(ctx, o, min(b.o.Chunk, b.o.Size-o))
		if err != nil {
			return 0, err
		}
		if o+b.o.Chunk >= b.o.Size && res != "ok" {
			return 0, fmt.Errorf("resumed upload: %q", res)
		}
	}
	return half - off, nil
}

// drop sends a PATCH of n bytes at off over a connection of its own, and
// resets the connection once sent of them are written.
func (c *client) drop(off, n, sent int64) error {
	addr := strings.TrimPrefix(c.base, "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	// Closed with a reset, not a clean end: what the server had not read
	// yet is lost, as when a network drops.
	conn.(*net.TCPConn).SetLinger(0)
	defer conn.Close()
	path := strings.TrimPrefix(c.loc, c.base)
	_, err = fmt.Fprintf(conn, "PATCH %s HTTP/1.1\r\nHost: %s\r\nTus-Resumable: 1.0.0\r\n%s: %s\r\nUpload-Offset: %d\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: %d\r\n\r\n",
		path, addr, upload.TokenHeader, c.token, off, n)
	if err != nil {
		return err
	}
	_, err = io.Copy(conn, pattern(off, sent))
	return err
}
