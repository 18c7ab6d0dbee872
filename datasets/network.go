package datasets

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// Network limits of Download when Options leave them zero.
const (
	// DefaultConnectTimeout bounds the TCP connect and the TLS handshake (default client only).
	DefaultConnectTimeout = 30 * time.Second
	// DefaultIdleTimeout bounds any wait for the server: for the response headers, and between
	// two reads of the body. A host that accepts the connection and never answers fails after it.
	DefaultIdleTimeout = 60 * time.Second
	// DefaultAttempts is how many times a file is tried when the failure may be transient.
	DefaultAttempts = 4
	// DefaultBackoff is the wait before the second attempt; it doubles before each further one.
	DefaultBackoff = 2 * time.Second
)

// withDefaults fills the zero network settings of o.
func (o Options) withDefaults() Options {
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.Attempts <= 0 {
		o.Attempts = DefaultAttempts
	}
	if o.Backoff <= 0 {
		o.Backoff = DefaultBackoff
	}
	if o.Client == nil {
		o.Client = newClient(o.ConnectTimeout) // the idle timeout is the watchdog's, for any client
	}
	return o
}

// newClient is http.DefaultClient's transport with connect and TLS handshake timeouts.
func newClient(connect time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}).DialContext
	tr.TLSHandshakeTimeout = connect
	return &http.Client{Transport: tr}
}

// transientError marks a failure that another attempt may not meet: a network error, a stall,
// a server error (5xx, 408, 429) or a body cut short.
type transientError struct{ err error }

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

func transient(err error) error { return &transientError{err} }

func isTransient(err error) bool {
	var t *transientError
	return errors.As(err, &t)
}

// errStalled is the cause of a request cancelled by its idle timer.
var errStalled = errors.New("stalled")

// watchdog cancels a request when the server sends nothing for idle: before the response
// headers, and between reads of the body. It works with any client, including one the caller
// passes without timeouts of its own.
type watchdog struct {
	idle    time.Duration
	timer   *time.Timer
	cancel  context.CancelFunc
	stalled atomic.Bool
}

func newWatchdog(ctx context.Context, idle time.Duration) (*watchdog, context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	w := &watchdog{idle: idle, cancel: cancel}
	w.timer = time.AfterFunc(idle, func() {
		w.stalled.Store(true)
		cancel()
	})
	return w, ctx
}

func (w *watchdog) stop() {
	w.timer.Stop()
	w.cancel()
}

// explain turns the error of a stalled request into one that says so.
func (w *watchdog) explain(err error, waiting string) error {
	if err != nil && w.stalled.Load() {
		return transient(fmt.Errorf("%w: no %s within %v", errStalled, waiting, w.idle))
	}
	return err
}

// watchedBody is a response body whose reads keep the watchdog quiet.
type watchedBody struct {
	body io.ReadCloser
	w    *watchdog
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	if n > 0 {
		b.w.timer.Reset(b.w.idle)
	}
	if err != nil && err != io.EOF {
		err = b.w.explain(err, "data")
		if !isTransient(err) {
			err = transient(err)
		}
	}
	return n, err
}

func (b *watchedBody) Close() error {
	b.w.stop()
	return b.body.Close()
}

// sleep waits d, or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fetchWithRetries calls fetch up to opt.Attempts times while its failure is transient,
// waiting opt.Backoff, then twice that, and so on, between attempts.
func fetchWithRetries(ctx context.Context, opt Options, src fetchSource, target string, f *File, logf func(string, ...any)) error {
	wait := opt.Backoff
	for attempt := 1; ; attempt++ {
		err := fetch(ctx, opt, src, target, f)
		if err == nil || ctx.Err() != nil || src.local || !isTransient(err) || attempt >= opt.Attempts {
			if err != nil && attempt > 1 {
				err = fmt.Errorf("%w (after %d attempts)", err, attempt)
			}
			return err
		}
		logf("attempt %d of %d failed (%v); retrying in %v", attempt, opt.Attempts, err, wait)
		if err := sleep(ctx, wait); err != nil {
			return err
		}
		wait *= 2
	}
}
