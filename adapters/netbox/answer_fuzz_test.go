package netbox

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ordertwin/ordertwin/core/port"
)

// watchdog ends the fuzz run when one input takes longer than d: the Go
// fuzzer has no time limit of its own for one input, and a worker that
// panics is reported with the input it was running.
func watchdog(d time.Duration) (stop func() bool) {
	return time.AfterFunc(d, func() { panic(fmt.Sprintf("one input took longer than %v", d)) }).Stop
}

// FuzzReserveAnswer: whatever NetBox answers to one request of a reserve
// (the others answered as NetBox does), the call ends within bounds,
// never panics, and either fails with one of the failure policy's classes
// or reserves what NetBox can have allocated: a VLAN id of 1 to 4094, an
// IPv4 subnet within the pool's prefix, a /29 when allocated.
func FuzzReserveAnswer(f *testing.F) {
	for step, a := range vlanReserveAnswers() {
		f.Add(false, uint8(step), uint16(a.status), a.body)
	}
	for step, a := range subnetReserveAnswers() {
		f.Add(true, uint8(step), uint16(a.status), a.body)
	}
	f.Add(false, uint8(1), uint16(200), []byte(`{"count":1,"results":[{"id":9,"vid":102,"description":"ROI-1 ROI-1/reserve/1"}]}`))
	f.Add(true, uint8(1), uint16(200), []byte(`{"count":1,"results":[{"id":9,"prefix":"10.20.0.16/29"}]}`))
	f.Add(false, uint8(2), uint16(201), []byte(`{}`))
	f.Add(false, uint8(2), uint16(201), []byte(`{"vid":5000}`))
	f.Add(true, uint8(2), uint16(201), []byte(`{"prefix":"2001:db8::/64"}`))
	f.Add(true, uint8(2), uint16(201), []byte(`{"prefix":"10.99.0.0/29"}`))
	f.Add(false, uint8(2), uint16(409), []byte(`{"detail":"No available VLANs"}`))
	f.Add(false, uint8(0), uint16(200), []byte(`{"count":2,"results":[{"id":1},{"id":2}]}`))
	f.Add(false, uint8(0), uint16(200), []byte(`[`))
	f.Add(false, uint8(0), uint16(500), []byte(`<html>`))
	f.Fuzz(func(t *testing.T, subnet bool, step uint8, status uint16, body []byte) {
		defer watchdog(2 * time.Second)()
		answers, req := vlanReserveAnswers(), reserve("ROI-1", "VLAN")
		if subnet {
			answers, req = subnetReserveAnswers(), reserve("ROI-1", "IPv4Subnet")
		}
		if status < 100 || status > 999 {
			status = 200 // net/http's client refuses no status of three digits
		}
		answers[int(step)%len(answers)] = answer{int(status), body}
		res := scripted(t, answers).Do(context.Background(), req)
		if res.Err != nil {
			assert.Nil(t, res.Resource)
			assert.Contains(t, []port.ErrorClass{port.Transient, port.Exhausted, port.Invalid, port.Hard}, res.Err.Class, "%v", res.Err)
			assert.NotEmpty(t, res.Err.Code)
			return
		}
		require.NotNil(t, res.Resource)
		if subnet {
			p, err := netip.ParsePrefix(res.Resource.Value)
			require.NoError(t, err, "a subnet reserved is a prefix: %q", res.Resource.Value)
			assert.True(t, p.Addr().Is4() && p == p.Masked(), "an IPv4 subnet: %s", p)
			assert.True(t, netip.MustParsePrefix("10.20.0.0/24").Contains(p.Addr()) && p.Bits() > 24, "within the pool's prefix: %s", p)
			if int(step)%len(answers) == 2 {
				assert.Equal(t, 29, p.Bits(), "allocated as asked: %s", p)
			}
			return
		}
		vid, err := strconv.Atoi(res.Resource.Characteristics.Get(CharVLAN))
		require.NoError(t, err)
		assert.True(t, vid >= 1 && vid <= 4094, "a VLAN id: %d", vid)
		assert.Equal(t, "VLAN "+strconv.Itoa(vid), res.Resource.Value)
		assert.True(t, strings.HasPrefix(res.Resource.ID, "MEL-ENT-VLAN-"), res.Resource.ID)
	})
}
