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
	"time"

	"github.com/ordertwin/ordertwin/core/api"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/scenarios"
)

// serveCmd runs a scenario live: the engine on the wall clock, journalled
// into the durable store, with /healthz, /readyz and /metrics, until
// interrupted (ctx ends); then it stops taking requests, lets the engine
// finish its step, and closes the store.
func serveCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "where to listen, HOST:PORT")
	db := fs.String("db", "ordertwin.db", "the durable store, a SQLite file (a new or empty one)")
	scale := fs.Float64("scale", 86400, "virtual seconds per real second (86400: a day a second)")
	sc, err := scenarioArg(fs, args)
	if err != nil {
		return err
	}
	st, err := newJournal("serve", *db)
	if err != nil {
		return err
	}
	defer st.Close()
	sys, err := scenarios.New(sc.Spec, scenarios.Options{Clock: engine.NewWall(*scale), Journal: st})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	srv := &http.Server{Handler: (&api.Server{Engine: sys.Engine, Stats: sys.Stats}).Handler(),
		ReadHeaderTimeout: 5 * time.Second}
	engineCtx, stopEngine := context.WithCancel(context.Background())
	defer stopEngine()
	engineDone := make(chan error, 1)
	go func() { engineDone <- sys.Engine.Serve(engineCtx) }()
	httpDone := make(chan error, 1)
	go func() { httpDone <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "serving %s on http://%s (store %s, %g virtual seconds per second)\n", sc.Name, ln.Addr(), *db, *scale)
	log.Info("serving", "scenario", sc.Name, "addr", ln.Addr().String(), "db", *db, "scale", *scale)

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
	log.Info("stopped", "records", st.Len())
	return failure
}
