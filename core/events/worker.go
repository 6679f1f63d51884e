package events

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/ordertwin/ordertwin/core/store/sqlite"
)

// worker delivers one listener's events, in journal order.
type worker struct {
	n      *Notifier
	l      Listener
	api    *API
	filter Filter
	// cursor is the last record handled; saved the one the store has.
	cursor, saved int64
	wake          chan struct{}
	cancel        context.CancelFunc
	done          chan struct{}
}

// poke wakes the worker to read the journal; it never blocks.
func (w *worker) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *worker) run(ctx context.Context) {
	defer close(w.done)
	defer w.save()
	for attempt := 0; ; {
		page, err := w.n.outbox.After(ctx, w.cursor, pageSize)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			w.n.opt.Log.Warn("hub: read the journal", "listener", w.l.ID, "err", err.Error())
			if !w.n.sleep(ctx, attempt) {
				return
			}
			attempt++
			continue
		}
		attempt = 0
		if len(page) == 0 {
			w.save()
			if !w.n.wait(ctx, w.wake) {
				return
			}
			continue
		}
		for _, e := range page {
			if e.Kind == hubKind && e.Entity == w.l.ID && e.Event == docDelete {
				return // removed: nothing after its removal
			}
			if !w.handle(ctx, e) {
				return
			}
			w.cursor = e.Seq
		}
		w.save()
	}
}

// handle delivers the event of e, if it is one for the listener, until the
// callback takes it; false when ctx ended first.
func (w *worker) handle(ctx context.Context, e sqlite.Entry) bool {
	for attempt := 0; ; attempt++ {
		err := w.try(ctx, e)
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		if attempt == 0 {
			w.save() // keep what was done before this event
		}
		w.n.opt.Log.Warn("hub: delivery failed", "listener", w.l.ID, "callback", w.l.Callback, "eventId", e.Seq,
			"attempt", attempt+1, "retryIn", w.n.backoff(attempt).String(), "err", err.Error())
		if !w.n.sleep(ctx, attempt) {
			return false
		}
	}
}

// try translates e and, if it is an event the listener asked for, sends
// it once.
func (w *worker) try(ctx context.Context, e sqlite.Entry) error {
	ev, ok, err := w.n.tr.event(ctx, w.api, e)
	if err != nil {
		return fmt.Errorf("event of record %d: %w", e.Seq, err)
	}
	if !ok || !w.filter.Match(&ev) {
		return nil
	}
	if ok, err := w.n.tenantHears(ctx, w.api, w.l.Tenant, &ev); err != nil || !ok {
		return err
	}
	return w.post(ctx, &ev)
}

// post sends ev to the callback: a 2xx answer is the only success.
func (w *worker) post(ctx context.Context, ev *Event) error {
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(ev); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.l.Callback, &body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := w.n.opt.Client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10)) // reuse the connection
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("the callback answered %s", res.Status)
	}
	return nil
}

// save keeps the cursor in the store, if it moved. It runs on after ctx
// ended (a stop keeps what was delivered), for a few seconds at most.
func (w *worker) save() {
	if w.cursor == w.saved {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.n.outbox.MoveCursor(ctx, w.l.ID, w.cursor); err != nil {
		w.n.opt.Log.Warn("hub: keep the cursor", "listener", w.l.ID, "err", err.Error())
		return
	}
	w.saved = w.cursor
}
