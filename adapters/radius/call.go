package radius

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"time"

	"layeh.com/radius"

	"github.com/ordertwin/ordertwin/core/port"
	rad "github.com/ordertwin/ordertwin/core/radius"
)

// Call starts req and returns at once; the final Result comes through
// reply from another goroutine, so reply must take answers from any
// goroutine (the engine's inbox). Its time is now: the inbox stamps the
// answer when it arrives.
func (b *BNG) Call(now time.Duration, req *port.Request, reply port.Replier) {
	r := *req // the caller reuses req, and may change what it points to
	r.Characteristics = slices.Clone(req.Characteristics)
	if req.Resource != nil {
		res := *req.Resource
		res.Characteristics = slices.Clone(res.Characteristics)
		r.Resource = &res
	}
	go func() { reply.Reply(now, b.Do(context.Background(), &r)) }()
}

// Do carries out req within the adapter's timeout and returns the final
// Result. A key seen before gets the answer the first call got (a call
// with that key under way is waited for) and sends nothing.
func (b *BNG) Do(ctx context.Context, req *port.Request) *port.Result {
	item := req.Item
	if item == "" {
		item = req.Key
	}
	for req.Key != "" {
		b.mu.Lock()
		if a, ok := b.done[item]; ok && a.key == req.Key {
			b.mu.Unlock()
			return a.res
		}
		wait, flying := b.flying[req.Key]
		if !flying {
			b.flying[req.Key] = make(chan struct{})
			b.mu.Unlock()
			break
		}
		b.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return b.result(req, nil, classify(fmt.Errorf("waiting for the call with the same key: %w", ctx.Err())))
		}
	}
	res := b.do(ctx, req)
	if req.Key != "" {
		b.mu.Lock()
		b.done[item] = answered{key: req.Key, res: res}
		close(b.flying[req.Key])
		delete(b.flying, req.Key)
		b.mu.Unlock()
	}
	return res
}

func (b *BNG) result(req *port.Request, p *plan, perr *port.Error) *port.Result {
	res := &port.Result{Key: req.Key, System: req.System, Op: req.Op, Item: req.Item, Handle: req.Handle, Final: true, Err: perr}
	if perr == nil && p != nil {
		res.Resource = p.resource
	}
	return res
}

func (b *BNG) do(ctx context.Context, req *port.Request) *port.Result {
	p, perr := b.plan(req)
	if perr != nil {
		return b.result(req, nil, perr)
	}
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Timeout)
	defer cancel()
	select {
	case b.slots <- struct{}{}:
		defer func() { <-b.slots }()
	case <-ctx.Done():
		return b.result(req, nil, classify(fmt.Errorf("waiting for a turn: %w", ctx.Err())))
	}
	log := b.cfg.Log.With("bng", p.bng, "subscriber", p.user, "op", string(req.Op), "item", req.Item, "key", req.Key)
	for _, m := range p.msgs {
		start := time.Now()
		ans, err := b.exchange(ctx, p, m)
		if err == nil {
			err = settle(req.Op, p, m, ans)
		}
		if err != nil {
			perr := classify(err)
			log.Warn("RADIUS "+m.code.String()+" failed", "class", string(perr.Class), "took", time.Since(start), "err", err)
			return b.result(req, nil, perr)
		}
		log.Info("RADIUS "+m.code.String()+" answered", "answer", ans.Code.String(), "took", time.Since(start))
	}
	return b.result(req, p, nil)
}

// nak is a CoA-NAK or Disconnect-NAK.
type nak struct {
	code  radius.Code
	bng   string
	user  string
	cause rad.Cause
	has   bool
}

func (e *nak) Error() string {
	if !e.has {
		return fmt.Sprintf("%s refused for %s by %s, with no Error-Cause", e.code, e.user, e.bng)
	}
	return fmt.Sprintf("%s refused for %s by %s: %s (%d)", e.code, e.user, e.bng, e.cause, uint32(e.cause))
}

// settle reads the answer to m. Only the ACK of m's kind is a success
// (RFC 5176 §3: a CoA-Request is answered by a CoA-ACK or NAK, a
// Disconnect-Request by a Disconnect-ACK or NAK): a Disconnect-ACK to a
// CoA-Request says nothing of the policy asked for. A Disconnect-NAK
// saying there is no such session ends a release as done: the session is
// gone already.
func settle(op port.Op, p *plan, m message, ans *radius.Packet) error {
	acked, refused := radius.CodeCoAACK, radius.CodeCoANAK
	if m.code == radius.CodeDisconnectRequest {
		acked, refused = radius.CodeDisconnectACK, radius.CodeDisconnectNAK
	}
	switch ans.Code {
	case acked:
		return nil
	case refused:
		e := &nak{code: ans.Code, bng: p.bng, user: p.user}
		if v, ok := rad.Get(rad.AttrsOf(ans), rad.ErrorCause); ok {
			e.cause, e.has = rad.CauseOf(v)
		}
		if op == port.Release && ans.Code == radius.CodeDisconnectNAK && e.has && e.cause == rad.SessionContextNotFound {
			return nil
		}
		return e
	}
	return &port.Error{Class: port.Hard, Code: "unexpectedAnswer", Message: fmt.Sprintf("%s answered %s with %s", p.bng, m.code, ans.Code)}
}

// exchange sends m and waits for its answer, sending it again with the
// same Identifier (so the same bytes) every Retry until the call's
// deadline. Answers that do not match the request or the secret are
// dropped.
func (b *BNG) exchange(ctx context.Context, p *plan, m message) (*radius.Packet, error) {
	pkt, err := rad.NewPacket(m.code, byte(b.ids.Add(1)), b.secret, m.attrs)
	if err != nil {
		return nil, &port.Error{Class: port.Invalid, Code: "badRequest", Message: err.Error()}
	}
	wire, err := rad.Encode(pkt)
	if err != nil {
		return nil, &port.Error{Class: port.Invalid, Code: "badRequest", Message: err.Error()}
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "udp", p.addr)
	if err != nil {
		return nil, fmt.Errorf("%s at %s: %w", p.bng, p.addr, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Now()) })
	defer stop()
	buf := make([]byte, radius.MaxPacketLength)
	sends, dropped := 0, 0
	for {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("no answer from %s at %s to %s (sent %d times, %d answers dropped): %w",
				p.bng, p.addr, m.code, sends, dropped, ctx.Err())
		}
		_, _ = conn.Write(wire) // a failed send is retried as a lost one
		sends++
		again := time.Now().Add(b.cfg.Retry)
		for {
			_ = conn.SetReadDeadline(again)
			if ctx.Err() != nil {
				break
			}
			n, err := conn.Read(buf)
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					break // send again, or the deadline has come
				}
				// Refused (nothing listens yet): wait as for a lost answer.
				select {
				case <-ctx.Done():
				case <-time.After(time.Until(again)):
				}
				break
			}
			ans, err := answerTo(wire, buf[:n], b.secret)
			if err != nil {
				dropped++
				b.cfg.Log.Debug("RADIUS answer dropped", "bng", p.bng, "err", err)
				continue
			}
			return ans, nil
		}
	}
}

// answerTo reads got as the answer to request (as on the wire): a packet
// with the request's Identifier, signed with the secret.
func answerTo(request, got, secret []byte) (*radius.Packet, error) {
	ans, raw, err := rad.Parse(got, secret)
	if err != nil {
		return nil, err
	}
	if ans.Identifier != request[1] {
		return nil, fmt.Errorf("identifier %d, not %d", ans.Identifier, request[1])
	}
	if err := rad.VerifyAnswer(raw, request, secret); err != nil {
		return nil, err
	}
	return ans, nil
}

// classes maps Error-Cause values (RFC 5176 §3.6) to the failure
// policy's error classes. A cause not listed, or none, is hard.
var classes = map[rad.Cause]port.ErrorClass{
	// The request is wrong for this BNG: a template or a request to fix.
	rad.UnsupportedAttribute:      port.Invalid,
	rad.MissingAttribute:          port.Invalid,
	rad.NASIdentificationMismatch: port.Invalid,
	rad.InvalidRequest:            port.Invalid,
	rad.UnsupportedExtension:      port.Invalid,
	rad.InvalidAttributeValue:     port.Invalid,
	rad.MultipleSessionSelection:  port.Invalid,
	// The BNG will not do it as things are: an operator has to look.
	rad.UnsupportedService:         port.Hard,
	rad.AdministrativelyProhibited: port.Hard,
	rad.SessionContextNotFound:     port.Hard,
	rad.SessionContextNotRemovable: port.Hard,
	// Busy, or a proxy on the way failed: try again.
	rad.RequestNotRoutable:   port.Transient,
	rad.ProxyProcessingError: port.Transient,
	rad.ResourcesUnavailable: port.Transient,
	rad.RequestInitiated:     port.Transient,
}

// classify turns what an exchange failed with into the failure policy's
// terms: a NAK by its Error-Cause (the code is the cause's name), no
// answer by the deadline as transient ("timeout"), an endpoint that cannot
// be reached as transient ("unreachable").
func classify(err error) *port.Error {
	var pe *port.Error
	var n *nak
	switch {
	case errors.As(err, &pe):
		return pe
	case errors.As(err, &n):
		c, ok := classes[n.cause]
		if !ok || !n.has {
			c = port.Hard
		}
		code := n.code.String()
		if n.has {
			code = n.cause.String()
		}
		return &port.Error{Class: c, Code: code, Message: err.Error()}
	case errors.Is(err, context.DeadlineExceeded):
		return &port.Error{Class: port.Transient, Code: "timeout", Message: "RADIUS timeout: " + err.Error()}
	}
	return &port.Error{Class: port.Transient, Code: "unreachable", Message: "RADIUS exchange failed: " + err.Error()}
}
