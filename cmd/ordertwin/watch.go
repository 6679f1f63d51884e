package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/ordertwin/ordertwin/core/api/tmf622"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/ordertwin/ordertwin/ui"
)

// watched is a placed order as submit --watch follows it: its items'
// sites, and the wave of each site (the quote's plan).
type watched struct {
	id   string
	site map[string]string // item → site code
	wave map[string]string // site code → wave
	// state is the order's state when it was read (watchedOrder): one
	// that has ended already is not waited for.
	state string
}

// errNoStream: the server has no stream, or not for this token.
var errNoStream = errors.New("no stream")

// watchStream follows the orders on the server's stream of committed
// records (ui.StreamPath) from the first record until each has ended,
// printing a line per change of an order, its items and its waves: the
// virtual time (an ISO 8601 offset from T+0), the wall-clock time, the
// wave and what changed. It returns each order's final state, or
// errNoStream when the server does not stream to this token.
func (c *client) watchStream(ctx context.Context, orders []*watched, stdout io.Writer) (map[string]string, error) {
	url := "ws" + strings.TrimPrefix(c.base, "http") + ui.StreamPath + "?after=0"
	header := http.Header{}
	if c.token != "" {
		header.Set("Authorization", "Bearer "+c.token)
	}
	d := websocket.Dialer{Subprotocols: []string{ui.Subprotocol}, HandshakeTimeout: 30 * time.Second}
	conn, res, err := d.DialContext(ctx, url, header)
	if err != nil {
		if res != nil && (res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusForbidden) {
			return nil, fmt.Errorf("%w: %s", errNoStream, res.Status)
		}
		return nil, fmt.Errorf("the stream: %w", err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	byID := map[string]*watched{}
	itemOf := map[string]*watched{}
	for _, o := range orders {
		byID[o.id] = o
		for item := range o.site {
			itemOf[item] = o
		}
	}
	final := map[string]string{}
	for _, o := range orders {
		if lc.IsFinal(lc.ProductOrder, o.state) {
			final[o.id] = o.state // its records may be the stream's no more
		}
	}
	for len(final) < len(orders) {
		var m ui.Message
		if err := conn.ReadJSON(&m); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			var closed *websocket.CloseError
			if errors.As(err, &closed) && closed.Code != websocket.CloseNormalClosure {
				// The server ended the stream (it cannot read its journal
				// from the start: a compacted store): the orders are polled.
				return nil, fmt.Errorf("%w: the server closed it (%s)", errNoStream, closed.Text)
			}
			return nil, fmt.Errorf("the stream: %w", err)
		}
		for _, r := range m.Records {
			wave, what := "", ""
			switch r.Kind {
			case "productOrder":
				if byID[r.Entity] == nil {
					continue
				}
				what = "order " + r.Entity
				if lc.IsFinal(lc.ProductOrder, r.State) {
					final[r.Entity] = r.State
				}
			case "productOrderItem":
				o := itemOf[r.Entity]
				if o == nil {
					continue
				}
				site := o.site[r.Entity]
				wave, what = o.wave[site], "item "+r.Entity+" ("+site+")"
			case "wave":
				order, name, _ := strings.Cut(r.Entity, "/")
				if byID[order] == nil {
					continue
				}
				wave, what = name, "wave "+name+" of "+order
			default:
				continue
			}
			fmt.Fprintln(stdout, watchLine(r, wave, what, time.Now()))
		}
	}
	return final, nil
}

// watchLine is a line of submit --watch: virtual time (an ISO 8601
// offset from T+0, to the second), wall-clock time, wave ("-" for none),
// what changed, and why.
func watchLine(r ui.Record, wave, what string, wall time.Time) string {
	if wave == "" {
		wave = "-"
	}
	at := r.At
	if d, err := tmf.ParseOffset(r.At); err == nil {
		at = tmf.FormatOffset(d.Round(time.Second))
	}
	line := fmt.Sprintf("%-16s %s  %-8s %s ", at, wall.Format("15:04:05"), wave, what)
	if r.From != "" {
		line += r.From + " → "
	}
	line += r.State
	if r.Reason != "" {
		line += ": " + r.Reason
	}
	return line
}

// watchedOrder reads a placed order's items and their sites; waves maps
// the quote's sites to their waves.
func (c *client) watchedOrder(ctx context.Context, id string, waves map[string]string) (*watched, error) {
	var po tmf622.ProductOrder
	if err := c.get(ctx, tmf630.ProductOrdering+"/productOrder/"+id, &po); err != nil {
		return nil, err
	}
	w := &watched{id: id, site: map[string]string{}, wave: waves, state: po.State}
	for _, it := range po.ProductOrderItem {
		site := it.ID
		if it.Product != nil && len(it.Product.Place) > 0 {
			site = it.Product.Place[0].ID
		}
		w.site[it.ID] = site
	}
	return w, nil
}
