package datasets

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fastRetries are network settings small enough for tests.
func fastRetries() Options {
	return Options{IdleTimeout: 300 * time.Millisecond, Attempts: 3, Backoff: 20 * time.Millisecond}
}

func downloadOne(t *testing.T, f File, opt Options) (string, []Outcome, error) {
	t.Helper()
	reg, err := New(Dataset{Name: "n", Task: "t", Files: []File{f}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var log strings.Builder
	opt.Log = &log
	out, err := reg.Download(context.Background(), dir, []string{"n"}, opt)
	t.Logf("log:\n%s", log.String())
	noPartFiles(t, dir)
	return dir, out, err
}

// A host that accepts the connection and never answers fails after the idle timeout, on every
// attempt, with the default client and with a caller's client that has no timeouts.
func TestDownloadSilentHost(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var accepted atomic.Int32
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			conns = append(conns, c) // held open, never read or written
		}
	}()
	defer func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	}()
	url := "http://" + ln.Addr().String() + "/file"
	for _, client := range []*http.Client{nil, {}} {
		accepted.Store(0)
		start := time.Now()
		opt := fastRetries()
		opt.Client = client
		dir, _, err := downloadOne(t, fileOf("t/f.txt", []byte("data\n"), url), opt)
		elapsed := time.Since(start)
		if err == nil || !strings.Contains(err.Error(), "stalled: no response within 300ms") ||
			!strings.Contains(err.Error(), "after 3 attempts") {
			t.Errorf("err %v", err)
		}
		if elapsed > 5*time.Second {
			t.Errorf("took %v for 3 attempts of 300 ms", elapsed)
		}
		if n := accepted.Load(); n != 3 {
			t.Errorf("%d connections, want 3 attempts", n)
		}
		if _, err := os.Stat(filepath.Join(dir, "t/f.txt")); err == nil {
			t.Error("a file was left in place")
		}
	}
}

// A server that sends part of the body and then stalls fails after the idle timeout.
func TestDownloadStalledBody(t *testing.T) {
	data := []byte(strings.Repeat("x", 1000))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.Write(data[:10])
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	opt := fastRetries()
	opt.Attempts = 2
	_, _, err := downloadOne(t, fileOf("t/f.txt", data, srv.URL+"/f"), opt)
	if err == nil || !strings.Contains(err.Error(), "stalled: no data within 300ms") {
		t.Errorf("err %v", err)
	}
}

// Transient failures (5xx, a body cut short) are retried with backoff; a 404 is not.
func TestDownloadRetries(t *testing.T) {
	data := []byte("the registered bytes\n")
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := hits.Add(1)
		switch {
		case r.URL.Path == "/gone":
			http.NotFound(w, r)
		case n == 1:
			http.Error(w, "busy", http.StatusServiceUnavailable)
		case n == 2: // announces the whole file, sends half, closes
			w.Header().Set("Content-Length", "21")
			w.Write(data[:10])
			hj, _, _ := w.(http.Hijacker).Hijack()
			hj.Close()
		default:
			w.Write(data)
		}
	}))
	defer srv.Close()
	start := time.Now()
	_, out, err := downloadOne(t, fileOf("t/f.txt", data, srv.URL+"/f"), fastRetries())
	if err != nil || out[0].Action != Fetched || hits.Load() != 3 {
		t.Errorf("err %v, outcome %v, %d requests; want fetched on the 3rd", err, out, hits.Load())
	}
	if el := time.Since(start); el < 60*time.Millisecond {
		t.Errorf("took %v: no backoff (20 ms then 40 ms)", el)
	}
	hits.Store(0)
	_, _, err = downloadOne(t, fileOf("t/g.txt", data, srv.URL+"/gone"), fastRetries())
	if err == nil || !strings.Contains(err.Error(), "HTTP 404") || hits.Load() != 1 {
		t.Errorf("404: err %v after %d requests, want one request", err, hits.Load())
	}
	var derr *DownloadError
	if !errors.As(err, &derr) || len(derr.Failed) != 1 {
		t.Errorf("404: %T %v", err, err)
	}
}

// The default client has a connect timeout.
func TestDefaultClientTimeouts(t *testing.T) {
	opt := Options{}.withDefaults()
	tr, ok := opt.Client.Transport.(*http.Transport)
	if !ok || tr.TLSHandshakeTimeout != DefaultConnectTimeout || tr.DialContext == nil {
		t.Errorf("default transport %+v", opt.Client.Transport)
	}
	if opt.Attempts != DefaultAttempts || opt.Backoff != DefaultBackoff {
		t.Errorf("defaults %+v", opt)
	}
}
