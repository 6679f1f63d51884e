package main

import (
	"bufio"
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A directTransport sends a load's requests over HTTP/1.1 connections
// kept alive, each request written and its answer read by the goroutine
// that sends it. net/http's Transport hands every request to two
// goroutines of its connection, one writing and one reading, and back;
// without them a load at 500 orders a second takes a fifth less CPU from
// the machine it may share with the server it measures. A connection is
// used by one request at a time; one broken, or closed by the server, is
// dropped. A request that finds a kept connection closed before any of
// its answer came is sent again on a new one, once (the server let the
// connection go while it was idle; a load's requests that change
// anything carry an Idempotency-Key).
type directTransport struct {
	// timeout bounds each request, from writing it to its answer's end.
	timeout time.Duration
	// maxIdle is how many connections to a server are kept between
	// requests.
	maxIdle int
	// tls configures https connections, each given its server's name (nil:
	// verified against the system's roots).
	tls    *tls.Config
	dialer net.Dialer
	// now is the clock of the connections' idle time (nil: time.Now).
	now func() time.Time

	mu   sync.Mutex
	idle map[string][]*directConn // by scheme://host:port
}

// maxIdleTime is how long a connection is kept unused: a server lets an
// idle connection go after a while (a minute or two, often), and one it
// closed would cost the request sent on it a try.
const maxIdleTime = 90 * time.Second

type directConn struct {
	key  string    // its server, scheme://host:port
	kept time.Time // when it was last kept for another request
	conn net.Conn
	r    *bufio.Reader
	w    *bufio.Writer
}

// RoundTrip sends req and reads its answer's head; the body is read from
// the connection as the caller reads it, and the connection kept once it
// has read it to its end and closed it.
func (t *directTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	for again := false; ; again = true {
		c, kept, err := t.conn(ctx, req.URL, again)
		if err != nil {
			return nil, ctxErr(ctx, err)
		}
		if again && req.GetBody != nil {
			if req.Body, err = req.GetBody(); err != nil {
				c.conn.Close()
				return nil, err
			}
		}
		res, answered, err := t.exchange(ctx, c, req)
		if err == nil {
			return res, nil
		}
		c.conn.Close()
		if !kept || again || answered || ctx.Err() != nil || req.Body != nil && req.GetBody == nil {
			return nil, err
		}
	}
}

// conn is a kept connection to u's server, or a new one; a new one when
// fresh (a request sent again: the others kept may have gone the way of
// the one it was sent on, with a server that restarted).
func (t *directTransport) conn(ctx context.Context, u *url.URL, fresh bool) (*directConn, bool, error) {
	https := u.Scheme == "https"
	if !https && u.Scheme != "http" {
		return nil, false, fmt.Errorf("unsupported protocol scheme %q", u.Scheme)
	}
	port := cmp.Or(u.Port(), "80")
	if https {
		port = cmp.Or(u.Port(), "443")
	}
	addr := net.JoinHostPort(u.Hostname(), port)
	key := u.Scheme + "://" + addr
	t.mu.Lock()
	idle, now := t.idle[key], t.clock()
	var old []*directConn // kept too long: the oldest come first
	for len(idle) > 0 && now.Sub(idle[0].kept) > maxIdleTime {
		old, idle[0] = append(old, idle[0]), nil
		idle = idle[1:]
	}
	var c *directConn
	if n := len(idle); n > 0 && !fresh {
		c, idle[n-1] = idle[n-1], nil
		idle = idle[:n-1]
	}
	if t.idle != nil {
		t.idle[key] = idle
	}
	t.mu.Unlock()
	for _, o := range old {
		o.conn.Close()
	}
	if c != nil {
		return c, true, nil
	}
	dial, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	conn, err := t.dialer.DialContext(dial, "tcp", addr)
	if err != nil {
		return nil, false, err
	}
	if https {
		cfg := &tls.Config{}
		if t.tls != nil {
			cfg = t.tls.Clone()
		}
		cfg.ServerName, cfg.NextProtos = u.Hostname(), []string{"http/1.1"}
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(dial); err != nil {
			conn.Close()
			return nil, false, err
		}
		conn = tc
	}
	return &directConn{key: key, conn: conn, r: bufio.NewReaderSize(conn, 16<<10), w: bufio.NewWriterSize(conn, 8<<10)}, false, nil
}

// clock is now, by the transport's clock.
func (t *directTransport) clock() time.Time {
	if t.now != nil {
		return t.now()
	}
	return time.Now()
}

// keep gives c back for another request, or closes it when enough to its
// server are kept.
func (t *directTransport) keep(c *directConn) {
	c.kept = t.clock()
	t.mu.Lock()
	if idle := t.idle[c.key]; len(idle) < t.maxIdle {
		if t.idle == nil {
			t.idle = map[string][]*directConn{}
		}
		t.idle[c.key] = append(idle, c)
		t.mu.Unlock()
		return
	}
	t.mu.Unlock()
	c.conn.Close()
}

// exchange writes req on c and reads its answer's head; answered says
// whether any of the answer came (a request then is not sent again).
func (t *directTransport) exchange(ctx context.Context, c *directConn, req *http.Request) (*http.Response, bool, error) {
	if err := c.conn.SetDeadline(time.Now().Add(t.timeout)); err != nil {
		return nil, false, err
	}
	// The run's end (ctx) cuts the request short, as the deadline does.
	stop := context.AfterFunc(ctx, func() { c.conn.SetDeadline(time.Unix(1, 0)) })
	if err := writeRequest(c.w, req); err != nil {
		stop()
		return nil, false, ctxErr(ctx, err)
	}
	if _, err := c.r.Peek(1); err != nil {
		stop()
		return nil, false, ctxErr(ctx, err)
	}
	res, err := http.ReadResponse(c.r, req)
	if err != nil {
		stop()
		return nil, true, ctxErr(ctx, err)
	}
	res.Body = &directBody{body: res.Body, t: t, c: c, stop: stop, keep: !res.Close}
	return res, true, nil
}

// ctxErr is ctx's error when it ended (the run stopped the request), else
// err.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// writeRequest writes req's head and body on w, and flushes it: a request
// of the shape a load sends (its URL, its headers, a body of known
// length or none).
func writeRequest(w *bufio.Writer, req *http.Request) error {
	w.WriteString(req.Method)
	w.WriteByte(' ')
	w.WriteString(req.URL.RequestURI())
	w.WriteString(" HTTP/1.1\r\nHost: ")
	w.WriteString(cmp.Or(req.Host, req.URL.Host))
	w.WriteString("\r\n")
	for k, vs := range req.Header {
		for _, v := range vs {
			if strings.ContainsAny(k, "\r\n: ") || strings.ContainsAny(v, "\r\n") {
				return fmt.Errorf("invalid header field %q: %q (a line break, or a name with a colon or a space)", k, v)
			}
			w.WriteString(k)
			w.WriteString(": ")
			w.WriteString(v)
			w.WriteString("\r\n")
		}
	}
	if req.Body != nil {
		if req.ContentLength < 0 {
			return errors.New("a request body of unknown length")
		}
		w.WriteString("Content-Length: ")
		w.WriteString(strconv.FormatInt(req.ContentLength, 10))
		w.WriteString("\r\n\r\n")
		if _, err := io.CopyN(w, req.Body, req.ContentLength); err != nil {
			return err
		}
		req.Body.Close()
	} else {
		w.WriteString("\r\n")
	}
	return w.Flush()
}

// directBody is an answer's body: its connection is kept for another
// request once the body is read to its end and closed, else closed.
type directBody struct {
	body io.ReadCloser
	t    *directTransport
	c    *directConn
	stop func() bool
	keep bool
	end  bool
	done bool
}

func (b *directBody) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	if err == io.EOF {
		b.end = true
	}
	return n, err
}

func (b *directBody) Close() error {
	if b.done {
		return nil
	}
	b.done = true
	cancelled := !b.stop()
	if b.keep && b.end && !cancelled {
		b.body.Close()
		b.t.keep(b.c)
		return nil
	}
	// Not net/http's body.Close, which would read the rest of an answer
	// left unread from a connection about to be closed.
	return b.c.conn.Close()
}
