package main

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingWriter counts the writes it is given.
type countingWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes++
	return c.buf.Write(p)
}

func (c *countingWriter) read() (string, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String(), c.writes
}

// Access lines are written together, after accessFlushAfter; a line of
// the log proper is written at once, after the access lines before it.
func TestLogWriterGathersAccessLines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		out := &countingWriter{}
		w := newLogWriter(out)
		access := w.Access()
		for i := range 3 {
			_, err := access.Write([]byte("request " + strings.Repeat("x", i) + "\n"))
			require.NoError(t, err)
		}
		got, _ := out.read()
		assert.Empty(t, got, "access lines wait")
		time.Sleep(accessFlushAfter)
		synctest.Wait()
		got, writes := out.read()
		assert.Equal(t, "request \nrequest x\nrequest xx\n", got)
		assert.Equal(t, 1, writes, "three lines, one write")

		_, err := access.Write([]byte("request 4\n"))
		require.NoError(t, err)
		_, err = w.Write([]byte("serving\n"))
		require.NoError(t, err)
		got, _ = out.read()
		assert.Equal(t, "request \nrequest x\nrequest xx\nrequest 4\nserving\n", got, "in the order made, at once")

		_, err = access.Write([]byte("request 5\n"))
		require.NoError(t, err)
		require.NoError(t, w.Close())
		got, _ = out.read()
		assert.True(t, strings.HasSuffix(got, "serving\nrequest 5\n"), "Close writes what waits: %q", got)
		time.Sleep(2 * accessFlushAfter)
		synctest.Wait()
		again, _ := out.read()
		assert.Equal(t, got, again, "nothing written twice")
	})
}

// Access lines are written as soon as accessPending bytes of them wait.
func TestLogWriterBoundsWhatWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		out := &countingWriter{}
		w := newLogWriter(out)
		line := []byte(strings.Repeat("x", 1023) + "\n")
		for range accessPending / len(line) {
			_, err := w.Access().Write(line)
			require.NoError(t, err)
		}
		got, writes := out.read()
		assert.Len(t, got, accessPending, "written without waiting for the timer")
		assert.Equal(t, 1, writes)
		require.NoError(t, w.Close())
	})
}
