package netconf

import (
	"context"
	"strconv"
	"testing"

	tnc "github.com/ordertwin/ordertwin/twin/netconf"
)

// BenchmarkAllocateCommitRelease is one bearer's life on a twin OLT over
// NETCONF on loopback, per iteration: a reserve the adapter allocates
// (read the OLT's interfaces, create the v-ANI), a commit with the VLAN
// service, and a release — three transactions, each a new SSH session
// with lock, edit, validate, confirmed commit, read-back, confirming
// commit and unlock.
func BenchmarkAllocateCommitRelease(b *testing.B) {
	olt := ponDevice(b, "OLT-A", []tnc.Card{{Slot: 1, Ports: 16}}, [2]int{1, 1})
	a := allocating(b, map[string]Endpoint{"OLT-A": serve(b, olt)}, Area{OLTs: []string{"OLT-A"}})
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		item := "ROI-" + strconv.Itoa(i)
		res := a.Do(ctx, allocation(item, "OLTPort"))
		if res.Err != nil {
			b.Fatal(res.Err)
		}
		if res = a.Do(ctx, commitReq(item, res.Resource)); res.Err != nil {
			b.Fatal(res.Err)
		}
		if res = a.Do(ctx, releaseReq(item, res.Resource)); res.Err != nil {
			b.Fatal(res.Err)
		}
	}
}
