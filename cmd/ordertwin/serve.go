package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/events"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
	"github.com/ordertwin/ordertwin/scenarios"
)

// defaultLive is the built-in scenario serve runs when given none.
const defaultLive = "live/default.yaml"

// serveCmd runs the system live: the TMF APIs, the engine on the wall
// clock and the twin, journalled into the durable store, until interrupted
// (ctx ends); then it stops taking requests, lets the engine finish its
// step, and closes the store. Given a store that already holds a run, it
// replays that run's commands and carries on where it stopped.
func serveCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "where to listen, HOST:PORT")
	db := fs.String("db", "ordertwin.db", "the durable store, a SQLite file: a new one, or one this command served before (it resumes)")
	scale := fs.Float64("scale", 86400, "virtual seconds per real second (86400: a day a second)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	var sc *scenarios.Scenario
	switch len(pos) {
	case 0:
		sc, err = scenarios.LoadLibrary(defaultLive)
	case 1:
		sc, err = scenarios.Load(pos[0])
	default:
		err = errors.New("serve: want at most one scenario FILE")
	}
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	sys, st, clock, err := resume(ctx, sc, *db, *scale, flagSet(fs, "scale"), log)
	if err != nil {
		return err
	}
	defer st.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	api := sys.API()
	srv := &http.Server{Handler: api.Handler(), ReadHeaderTimeout: 5 * time.Second}
	// The hub listeners' events, read from the committed journal; each
	// record only wakes the notifier up.
	notifier, err := events.Open(*db, events.Options{Directory: api.Listeners(), Epoch: api.Epoch, Log: log})
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	sys.Engine.AfterCommit(notifier.Wake)
	engineCtx, stopEngine := context.WithCancel(context.Background())
	defer stopEngine()
	engineDone := make(chan error, 1)
	go func() { engineDone <- sys.Engine.Serve(engineCtx) }()
	notifier.Start(engineCtx)
	httpDone := make(chan error, 1)
	go func() { httpDone <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "serving %s on http://%s (store %s, %g virtual seconds per second)\n", sc.Name, ln.Addr(), *db, clock.Scale)
	log.Info("serving", "scenario", sc.Name, "addr", ln.Addr().String(), "db", *db, "scale", clock.Scale)

	var failure error
	select {
	case <-ctx.Done():
		log.Info("shutting down", "reason", ctx.Err().Error())
	case err := <-engineDone:
		failure = fmt.Errorf("serve: engine: %w", err)
		engineDone <- err
	case err := <-httpDone:
		failure = fmt.Errorf("serve: http: %w", err)
		httpDone <- err
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		log.Error("http shutdown", "err", err.Error())
	}
	stopEngine() // the step in progress commits first: a step is atomic
	if err := <-engineDone; err != nil && !errors.Is(err, context.Canceled) && failure == nil {
		failure = fmt.Errorf("serve: engine: %w", err)
	}
	if err := notifier.Stop(); err != nil {
		log.Error("hub notifier stop", "err", err.Error())
	}
	log.Info("stopped", "records", st.Len())
	return failure
}

// resume opens the store of a server and builds its system: a new store
// starts a new run; a store served before is replayed (its logged
// commands handed over again, its journal checked record by record) up to
// where it stopped, ready to serve on.
func resume(ctx context.Context, sc *scenarios.Scenario, db string, scale float64, scaleSet bool, log *slog.Logger) (*scenarios.System, *sqlite.Store, *engine.Wall, error) {
	st, err := sqlite.Open(db, sqlite.Options{})
	if err != nil {
		return nil, nil, nil, err
	}
	sys, clock, err := func() (*scenarios.System, *engine.Wall, error) {
		clock, err := serveClock(st, sc, scale, scaleSet)
		if err != nil {
			return nil, nil, fmt.Errorf("serve: --db %s: %w", db, err)
		}
		held, err := st.Records()
		if err != nil {
			return nil, nil, err
		}
		inputs, err := st.Inputs()
		if err != nil {
			return nil, nil, err
		}
		journal := store.Resume(st, held)
		sys, err := scenarios.New(sc.Spec, scenarios.Options{Clock: clock, Journal: journal, Log: st})
		if err != nil {
			return nil, nil, err
		}
		if len(held) > 0 || len(inputs) > 0 {
			began := time.Now()
			if err := sys.Engine.Replay(ctx, inputs, journal.Caught); err != nil {
				return nil, nil, fmt.Errorf("serve: resume %s: %w", db, err)
			}
			log.Info("resumed", "db", db, "records", len(held), "commands", len(inputs),
				"inputs", sys.Engine.Processed(), "took", time.Since(began).String())
		}
		return sys, clock, nil
	}()
	if err != nil {
		st.Close()
		return nil, nil, nil, err
	}
	return sys, st, clock, nil
}

// serveClock is the wall clock of a store: a new store starts it now at
// scale and keeps both; a store served before gives back its own, so that
// virtual time runs on from where it was. It refuses a store that served
// another scenario, or a --scale given that differs from the store's.
func serveClock(st *sqlite.Store, sc *scenarios.Scenario, scale float64, scaleSet bool) (*engine.Wall, error) {
	name, served, err := st.Meta("scenario")
	if err != nil {
		return nil, err
	}
	if !served {
		if st.Len() > 0 {
			return nil, fmt.Errorf("it holds %d records of a run, not of a server: give a new file", st.Len())
		}
		w := engine.NewWall(scale)
		for k, v := range map[string]string{"scenario": sc.Name, "start": w.Start.Format(time.RFC3339Nano),
			"scale": strconv.FormatFloat(scale, 'g', -1, 64)} {
			if err := st.SetMeta(k, v); err != nil {
				return nil, err
			}
		}
		return w, nil
	}
	if name != sc.Name {
		return nil, fmt.Errorf("it serves %q, not %q", name, sc.Name)
	}
	startText, _, err := st.Meta("start")
	if err != nil {
		return nil, err
	}
	scaleText, _, err := st.Meta("scale")
	if err != nil {
		return nil, err
	}
	start, err := time.Parse(time.RFC3339Nano, startText)
	if err != nil {
		return nil, fmt.Errorf("its start %q: %w", startText, err)
	}
	was, err := strconv.ParseFloat(scaleText, 64)
	if err != nil {
		return nil, fmt.Errorf("its scale %q: %w", scaleText, err)
	}
	if scaleSet && scale != was {
		return nil, fmt.Errorf("it runs at --scale %g, not %g", was, scale)
	}
	return &engine.Wall{Start: start, Scale: was}, nil
}

// flagSet reports whether the flag called name was given.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
