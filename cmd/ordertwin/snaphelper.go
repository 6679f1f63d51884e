package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/system"
	"github.com/ordertwin/ordertwin/scenarios"
)

// A serving engine's snapshots are taken beside it by a helper (serve
// --snapshot-by helper, or auto, the default, on SQLite while commands come
// in and the state is not small: engine.SnapshotPolicy): this program run again,
// with the server's own arguments and snapshotHelperEnv naming the point
// the engine marked. The helper opens the store without writing to it,
// rebuilds the state the engine had at the point from the latest snapshot
// and the inputs after it (system.TakeSnapshot), and writes the snapshot
// on its standard output: a line of JSON (helperHead), then the body. The
// server keeps it. The engine never stands still for a snapshot; the
// helper's work (a restart's, up to the point, and the encoding) runs in
// a process of its own, at a lower priority, with its own heap and
// collector.
const snapshotHelperEnv = "ORDERTWIN_SNAPSHOT_HELPER"

// helperHead is the first line a helper writes: the snapshot's place and
// the length of its body, which follows.
type helperHead struct {
	Inputs, Records uint64
	At              time.Duration
	Size            int
}

// snapshotHelping reports whether this process is a snapshot helper, and
// the point it takes the snapshot at.
func snapshotHelping() (bool, string) {
	at, ok := os.LookupEnv(snapshotHelperEnv)
	return ok, at
}

// helpSnapshot is serve as a snapshot helper: it takes the snapshot of the
// system served on db at the point at ("INPUTS,RECORDS,AT") and writes it
// on stdout.
func helpSnapshot(ctx context.Context, at string, sc *scenarios.Scenario, db string, co serveClockOptions, opt scenarios.Options, stdout io.Writer, log *slog.Logger) error {
	// The helper runs only on what the server leaves of the cores: at nice
	// 10 alone (its parent's setpriority) it still took them from the
	// server's threads as they woke, and at 500 orders a second the
	// orders' p99 was 28-92 ms while it ran, against 9-19 ms as SCHED_IDLE
	// (four pairs of runs).
	if err := idleScheduling(); err != nil {
		log.Warn("snapshot helper: scheduled as any process", "err", err)
	}
	var point store.Snapshot
	if _, err := fmt.Sscanf(at, "%d,%d,%d", &point.Inputs, &point.Records, &point.At); err != nil {
		return fmt.Errorf("snapshot helper: the point %q: %w", at, err)
	}
	st, err := openStore(db, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	opt, _, err = storeOptions(sc, st, storeName(db), co, opt, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	began := time.Now()
	snap, err := system.TakeSnapshot(ctx, st, buildOn(sc, opt), point)
	if err != nil {
		return fmt.Errorf("snapshot helper: %w", err)
	}
	log.Info("snapshot helper", "inputs", snap.Inputs, "bytes", snap.Size(), "took", time.Since(began).String())
	w := bufio.NewWriterSize(stdout, 1<<20)
	head, err := json.Marshal(helperHead{snap.Inputs, snap.Records, snap.At, snap.Size()})
	if err != nil {
		return err
	}
	w.Write(append(head, '\n'))
	for c := range snap.Chunks(1 << 20) {
		w.Write(c)
	}
	return w.Flush()
}

// snapshotHelper is the Take of a server's snapshot policy, run with
// args: it starts a helper at the point the engine marked and reads the
// snapshot it writes.
func snapshotHelper(args []string) func(context.Context, store.Snapshot) (store.Snapshot, time.Duration, error) {
	return func(ctx context.Context, at store.Snapshot) (_ store.Snapshot, cpu time.Duration, _ error) {
		exe, err := helperProgram()
		if err != nil {
			return store.Snapshot{}, cpu, fmt.Errorf("snapshot helper: %w", err)
		}
		cmd := exec.CommandContext(ctx, exe, append([]string{"serve"}, args...)...)
		cmd.Args[0] = os.Args[0] // as ps shows the server
		cmd.Env = append(os.Environ(), snapshotHelperEnv+"="+strconv.FormatUint(at.Inputs, 10)+","+
			strconv.FormatUint(at.Records, 10)+","+strconv.FormatInt(int64(at.At), 10))
		stderr := &lastLines{max: 4 << 10}
		cmd.Stderr = stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			return store.Snapshot{}, cpu, fmt.Errorf("snapshot helper: %w", err)
		}
		helperAttrs(cmd)
		if err := cmd.Start(); err != nil {
			return store.Snapshot{}, cpu, fmt.Errorf("snapshot helper: %w", err)
		}
		lowerPriority(cmd.Process.Pid)
		snap, readErr := readHelped(out)
		if readErr != nil {
			io.Copy(io.Discard, out)
		}
		err = cmd.Wait()
		if ps := cmd.ProcessState; ps != nil {
			cpu = ps.UserTime() + ps.SystemTime()
		}
		if err != nil {
			return store.Snapshot{}, cpu, fmt.Errorf("snapshot helper: %w: %s", err, stderr.String())
		}
		if readErr != nil {
			return store.Snapshot{}, cpu, fmt.Errorf("snapshot helper: %w", readErr)
		}
		if snap.Inputs != at.Inputs || snap.Records != at.Records {
			return store.Snapshot{}, cpu, fmt.Errorf("snapshot helper: a snapshot after %d inputs and %d records, not %d and %d",
				snap.Inputs, snap.Records, at.Inputs, at.Records)
		}
		return snap, cpu, nil
	}
}

// readHelped reads the snapshot a helper writes.
func readHelped(r io.Reader) (store.Snapshot, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	line, err := br.ReadBytes('\n')
	if err != nil {
		return store.Snapshot{}, fmt.Errorf("no snapshot written: %w", err)
	}
	var h helperHead
	if err := json.Unmarshal(line, &h); err != nil {
		return store.Snapshot{}, fmt.Errorf("the snapshot's head %q: %w", strings.TrimSpace(string(line)), err)
	}
	if h.Size < 0 || h.Size > maxHelped {
		return store.Snapshot{}, fmt.Errorf("a snapshot of %d bytes", h.Size)
	}
	body := make([]byte, h.Size)
	if _, err := io.ReadFull(br, body); err != nil {
		return store.Snapshot{}, fmt.Errorf("the snapshot's %d bytes: %w", h.Size, err)
	}
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		return store.Snapshot{}, errors.New("more than the snapshot written")
	}
	return store.Snapshot{Inputs: h.Inputs, Records: h.Records, At: h.At, Body: body}, nil
}

// maxHelped bounds the body a helper may announce.
const maxHelped = 16 << 30

// lastLines keeps the last max bytes written to it: a helper's log, for
// the error when it fails.
type lastLines struct {
	max int
	b   []byte
}

func (l *lastLines) Write(p []byte) (int, error) {
	l.b = append(l.b, p...)
	if over := len(l.b) - l.max; over > 0 {
		l.b = append(l.b[:0], l.b[over:]...)
	}
	return len(p), nil
}

func (l *lastLines) String() string { return strings.TrimSpace(string(l.b)) }
