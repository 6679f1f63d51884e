package port_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/port"
)

// farAllocator hands out numbers in the order calls reach it, answering
// each from its own goroutine once the test lets it.
type farAllocator struct {
	mu       sync.Mutex
	next     int
	inFlight int
	most     int
	release  chan struct{}
}

func (f *farAllocator) Call(now time.Duration, req *port.Request, reply port.Replier) {
	f.mu.Lock()
	f.inFlight++
	f.most = max(f.most, f.inFlight)
	f.mu.Unlock()
	go func() {
		<-f.release
		f.mu.Lock()
		f.next++
		n := f.next
		f.inFlight--
		f.mu.Unlock()
		reply.Reply(now, &port.Result{Key: req.Key, Final: false})
		reply.Reply(now, &port.Result{Key: req.Key, Final: true, Handle: n})
	}()
}

type heard struct {
	mu  sync.Mutex
	got []*port.Result
	all chan struct{}
	n   int
}

func (h *heard) Reply(_ time.Duration, res *port.Result) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.got = append(h.got, res)
	if len(h.got) == h.n {
		close(h.all)
	}
}

// Calls to an ordered adapter go one at a time, and every caller hears
// its answers, progress then final, in the order of the calls: the first
// call gets the first number, whoever the far side would have served
// first.
func TestOrderedAdapter(t *testing.T) {
	far := &farAllocator{release: make(chan struct{})}
	close(far.release)
	a := port.Ordered(far)
	h := &heard{all: make(chan struct{}), n: 10}
	req := &port.Request{Key: "k"}
	for _, key := range []string{"a", "b", "c", "d", "e"} {
		req.Key = key // the caller reuses its request
		a.Call(0, req, h)
	}
	select {
	case <-h.all:
	case <-time.After(10 * time.Second):
		require.Fail(t, "not every answer came")
	}
	var order []string
	for _, r := range h.got {
		if r.Final {
			order = append(order, fmt.Sprintf("%s=%d", r.Key, r.Handle))
		}
	}
	assert.Equal(t, []string{"a=1", "b=2", "c=3", "d=4", "e=5"}, order)
	assert.Equal(t, 1, far.most, "one call in flight")
	for i := 0; i < len(h.got); i += 2 {
		assert.False(t, h.got[i].Final, "each call's progress before its final answer")
		assert.Equal(t, h.got[i].Key, h.got[i+1].Key)
	}
}

// updating keeps the calls it was given, with their repliers, and the
// updates, in order.
type updating struct {
	mu      sync.Mutex
	calls   []port.Request
	replies []port.Replier
	updates []port.Request
	called  chan struct{}
}

func (u *updating) Call(_ time.Duration, req *port.Request, reply port.Replier) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.calls = append(u.calls, *req)
	u.replies = append(u.replies, reply)
	u.called <- struct{}{}
}

func (u *updating) Update(req *port.Request) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.updates = append(u.updates, *req)
}

func (u *updating) seen() (calls, updates []port.Request, replies []port.Replier) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return slices.Clone(u.calls), slices.Clone(u.updates), slices.Clone(u.replies)
}

// An update of the call in flight reaches the adapter at once, whatever
// is queued behind it; an update of a queued call changes what is sent
// when its turn comes, and is not sent itself.
func TestOrderedAdapterUpdates(t *testing.T) {
	far := &updating{called: make(chan struct{}, 2)}
	a := port.Ordered(far)
	a.Call(0, &port.Request{Key: "a"}, &heard{all: make(chan struct{}), n: 1})
	a.Call(0, &port.Request{Key: "b"}, &heard{all: make(chan struct{}), n: 1})
	u, ok := a.(port.Updater)
	require.True(t, ok)
	u.Update(&port.Request{Key: "a", Config: port.Config{VLAN: 2108}})
	u.Update(&port.Request{Key: "b", Config: port.Config{Subnet: "10.88.12.0/29"}})
	<-far.called
	calls, updates, replies := far.seen()
	require.Len(t, calls, 1, "b waits for a's final answer")
	require.Len(t, updates, 1, "b's update changed the queued call")
	assert.Equal(t, "a", updates[0].Key)
	assert.Equal(t, 2108, updates[0].Config.VLAN)

	replies[0].Reply(0, &port.Result{Key: "a", Final: true})
	select {
	case <-far.called:
	case <-time.After(10 * time.Second):
		require.Fail(t, "b was not sent after a's final answer")
	}
	calls, updates, _ = far.seen()
	assert.Equal(t, "b", calls[1].Key)
	assert.Equal(t, "10.88.12.0/29", calls[1].Config.Subnet, "b went out updated")
	assert.Len(t, updates, 1)
}

// holding answers each call when the test says, and keeps what it was
// sent.
type holding struct {
	mu   sync.Mutex
	sent []string
	go_  chan struct{}
}

func (h *holding) Call(now time.Duration, req *port.Request, reply port.Replier) {
	h.mu.Lock()
	h.sent = append(h.sent, req.Key)
	h.mu.Unlock()
	go func() {
		<-h.go_
		reply.Reply(now, &port.Result{Key: req.Key, Final: true})
	}()
}

// A call that waited for its turn longer than the ordered adapter's wait
// is not sent: it is answered transient at its turn, in order, so that
// the engine's deadline (which counts the wait) never passes on a call
// that went out and whose answer, and allocation, would be lost; a call
// that waited less is sent.
func TestOrderedWithinAnswersACallThatWaitedTooLong(t *testing.T) {
	h := &holding{go_: make(chan struct{})}
	a := port.OrderedWithin(h, 50*time.Millisecond)
	got := &heard{all: make(chan struct{}), n: 3}
	a.Call(0, &port.Request{Key: "ROI-002/reserve/1", System: port.VLAN, Op: port.Reserve, Item: "ROI-002"}, got)
	a.Call(0, &port.Request{Key: "ROI-020/reserve/1", System: port.VLAN, Op: port.Reserve, Item: "ROI-020"}, got)
	time.Sleep(100 * time.Millisecond) // the second waits past its wait behind the first
	h.go_ <- struct{}{}
	require.Eventually(t, func() bool { got.mu.Lock(); defer got.mu.Unlock(); return len(got.got) == 2 }, 5*time.Second, time.Millisecond)
	a.Call(0, &port.Request{Key: "ROI-021/reserve/1", System: port.VLAN, Op: port.Reserve, Item: "ROI-021"}, got)
	h.go_ <- struct{}{}
	<-got.all
	h.mu.Lock()
	assert.Equal(t, []string{"ROI-002/reserve/1", "ROI-021/reserve/1"}, h.sent, "the call that waited too long is not sent")
	h.mu.Unlock()
	require.Len(t, got.got, 3)
	assert.Nil(t, got.got[0].Err)
	require.NotNil(t, got.got[1].Err)
	assert.Equal(t, "ROI-020/reserve/1", got.got[1].Key)
	assert.Equal(t, port.Transient, got.got[1].Err.Class)
	assert.Equal(t, "queued", got.got[1].Err.Code)
	assert.Nil(t, got.got[2].Err)
}
