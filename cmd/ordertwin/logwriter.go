package main

import (
	"io"
	"sync"
	"time"
)

// accessFlushAfter is how long an access line may wait to be written
// with the lines that follow it; accessPending is how many bytes of them
// may wait.
const (
	accessFlushAfter = 20 * time.Millisecond
	accessPending    = 64 << 10
)

// logWriter is serve's log output. The access log takes a line per
// request: written one by one, each cost a system call on the request's
// goroutine (at 500 orders a second, a sixtieth of the server's CPU), and
// a log reader that falls behind would hold up every request. Its lines
// (Access) are gathered and written together, at most accessFlushAfter
// after the first of them or once accessPending bytes wait. Every other
// line (Write) is written at once, after the access lines waiting, so
// that the output keeps the order the lines were made in. Close writes
// what waits; a process killed loses at most accessFlushAfter of access
// lines, never a line of the log proper.
type logWriter struct {
	mu      sync.Mutex
	out     io.Writer
	pending []byte
	timer   *time.Timer
}

func newLogWriter(out io.Writer) *logWriter { return &logWriter{out: out} }

// Write writes p, after the access lines waiting.
func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.flushLocked(); err != nil {
		return 0, err
	}
	return w.out.Write(p)
}

// Access is the writer of the access log's lines.
func (w *logWriter) Access() io.Writer { return accessWriter{w} }

type accessWriter struct{ w *logWriter }

// Write keeps p to be written with the lines that follow it.
func (a accessWriter) Write(p []byte) (int, error) {
	w := a.w
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pending = append(w.pending, p...)
	if len(w.pending) >= accessPending {
		if err := w.flushLocked(); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	if w.timer == nil {
		w.timer = time.AfterFunc(accessFlushAfter, w.flush)
	}
	return len(p), nil
}

// flush writes the access lines waiting (the timer's).
func (w *logWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	_ = w.flushLocked() // a log that cannot be written has no one to tell
}

// Close writes the access lines waiting.
func (w *logWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.flushLocked()
}

func (w *logWriter) flushLocked() error {
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
	if len(w.pending) == 0 {
		return nil
	}
	_, err := w.out.Write(w.pending)
	w.pending = w.pending[:0]
	return err
}
