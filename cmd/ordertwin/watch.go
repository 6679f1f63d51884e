package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
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
// wave and what changed. On a deployment of several shards it follows
// the stream of each shard that holds one of the orders. It returns each
// order's final state, or errNoStream when the server does not stream to
// this token.
func (c *client) watchStream(ctx context.Context, orders []*watched, stdout io.Writer) (map[string]string, error) {
	conns, err := c.openStreams(ctx, orders)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		for _, conn := range conns {
			conn.Close()
		}
	})
	defer stop()
	type read struct {
		m   ui.Message
		err error
	}
	reads := make(chan read)
	for _, conn := range conns {
		go func() {
			for {
				var r read
				r.err = conn.ReadJSON(&r.m)
				select {
				case reads <- r:
				case <-ctx.Done():
					return
				}
				if r.err != nil {
					return
				}
			}
		}()
	}
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
		select {
		case r := <-reads:
			m, err = r.m, r.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if err != nil {
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

// openStreams opens the server's stream from its first record; on a
// deployment of several shards, which refuses a stream that names none
// and says how many it has (shardsHeader), the stream of each shard that
// holds one of the orders (every shard's for an id the deployment did not
// number).
func (c *client) openStreams(ctx context.Context, orders []*watched) ([]*websocket.Conn, error) {
	conn, res, err := c.dialStream(ctx, "?after=0")
	if err == nil {
		return []*websocket.Conn{conn}, nil
	}
	n := 0
	if res != nil && res.StatusCode == http.StatusBadRequest {
		n, _ = strconv.Atoi(res.Header.Get(shardsHeader))
	}
	if n <= 0 {
		if res != nil && (res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusForbidden) {
			return nil, fmt.Errorf("%w: %s", errNoStream, res.Status)
		}
		return nil, fmt.Errorf("the stream: %w", err)
	}
	var shards []int
	for _, o := range orders {
		k, ok := tmf.ShardOf(o.id, n)
		if !ok {
			shards = allShards(n)
			break
		}
		shards = append(shards, k)
	}
	slices.Sort(shards)
	var conns []*websocket.Conn
	for _, k := range slices.Compact(shards) {
		conn, res, err := c.dialStream(ctx, "?shard="+strconv.Itoa(k)+"&after=0")
		if err != nil {
			for _, c := range conns {
				c.Close()
			}
			if res != nil && res.StatusCode == http.StatusForbidden {
				return nil, fmt.Errorf("%w: %s", errNoStream, res.Status)
			}
			return nil, fmt.Errorf("the stream of shard %d: %w", k, err)
		}
		conns = append(conns, conn)
	}
	return conns, nil
}

// allShards are the shards 0 to n-1.
func allShards(n int) []int {
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	return all
}

// dialStream opens the server's stream with query.
func (c *client) dialStream(ctx context.Context, query string) (*websocket.Conn, *http.Response, error) {
	header := http.Header{}
	if c.token != "" {
		header.Set("Authorization", "Bearer "+c.token)
	}
	d := websocket.Dialer{Subprotocols: []string{ui.Subprotocol}, HandshakeTimeout: 30 * time.Second}
	return d.DialContext(ctx, "ws"+strings.TrimPrefix(c.base, "http")+ui.StreamPath+query, header)
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
