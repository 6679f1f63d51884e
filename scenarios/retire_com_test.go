package scenarios

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/engine"
	lc "github.com/ordertwin/ordertwin/core/lifecycle"
	"github.com/ordertwin/ordertwin/core/rom"
	"github.com/ordertwin/ordertwin/core/som"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/ordertwin/ordertwin/core/store/sqlite"
	"github.com/ordertwin/ordertwin/core/tmf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// §7 finished orders leave memory: with a retention, every finished
// product order leaves COM once its waves and change orders have ended
// and its retention has passed, with its quote; nothing else changes (the
// journal is the one a run that keeps them writes, keptAndRetired); each
// is on the store's shelf as COM shows it, its quote too; the product
// inventory is the same.
func TestRetiredProductOrders(t *testing.T) {
	retired := 0
	for _, file := range snapshotScenarios {
		t.Run(file, func(t *testing.T) {
			keep, gone, j := keptAndRetired(t, file)
			for _, po := range keep.COM.Orders() {
				if gone.COM.Order(po.ID) != nil {
					continue
				}
				require.True(t, lc.IsFinal(lc.ProductOrder, po.State), "%s is %s: it stays", po.ID, po.State)
				d, ok, err := j.Shelved(com.ShelfKind, po.ID)
				require.NoError(t, err)
				require.True(t, ok, "%s is on the shelf", po.ID)
				assert.Equal(t, com.ShelfOrd(po), d.Ord)
				shelved, err := com.Shelved(d.Body)
				require.NoError(t, err)
				assert.Equal(t, *po, *shelved, "%s on the shelf", po.ID)
				retired++
			}
			for _, qv := range keep.COM.Quotes() {
				if _, ok := gone.COM.Quote(qv.ID); ok {
					continue
				}
				d, ok, err := j.Shelved(com.QuoteShelfKind, qv.ID)
				require.NoError(t, err)
				require.True(t, ok, "%s is on the shelf", qv.ID)
				shelved, err := com.ShelvedQuote(d.Body)
				require.NoError(t, err)
				assert.Equal(t, qv, shelved, "%s on the shelf", qv.ID)
			}
			assert.Equal(t, keep.products(), gone.products(), "the product inventory, from memory and the shelf")
			assert.Equal(t, keep.Stats().OrdersByState, gone.Stats().OrdersByState, "the metrics count the retired orders")
			assert.Equal(t, keep.Report(), gone.Report(), "the report reads what left memory from the shelf")
		})
	}
	assert.NotZero(t, retired, "orders left memory")
}

// A customer's events long after the order finished and left memory (a
// speed change, a site removed, a cancellation of the finished order, a
// site added to it) take it back from the shelf and are carried out as if
// it had stayed: the same journal, record for record, the same product,
// service and resource inventories (the services and resources taken back
// from the shelf for the change and the removal), the same network
// allocations and report; and a system restored from a snapshot taken while the order
// is on the shelf runs on to the same end.
func TestRetiredProductOrdersChangeLater(t *testing.T) {
	sc, err := Load("globaltech-5site.yaml")
	require.NoError(t, err)
	spec := sc.Spec
	day := 24 * time.Hour
	spec.Events = append(slices.Clone(spec.Events),
		Event{At: 200 * day, Change: &com.Change{Site: "MELB", Speed: "1G-sym"}, Note: "faster"},
		Event{At: 260 * day, Remove: &com.Remove{Site: "SYD2", Reason: "office closed"}, Note: "closed"},
		Event{At: 300 * day, Cancel: &com.Cancel{Reason: "too late"}, Note: "cancel"},
		Event{At: 320 * day, AddSite: &com.AddSite{Site: com.Site{Code: "PER1", Name: "Perth", Wave: "Pilot",
			Address: "Level 3, 71 Eagle Street, Brisbane QLD 4000"}}, Note: "add"})
	keep, err := New(spec, Options{})
	require.NoError(t, err)
	require.NoError(t, keep.Engine.Run(context.Background()))
	mem := store.NewMemory()
	gone, err := New(spec, Options{Journal: mem, Retention: time.Hour})
	require.NoError(t, err)
	require.NoError(t, gone.Engine.RunUntil(context.Background(), 250*day))
	require.Empty(t, gone.COM.Orders(), "the order left memory after the change")
	snap, err := gone.Engine.Snapshot()
	require.NoError(t, err)
	tail := store.NewMemory() // the store as it was at the snapshot: its shelf
	copyShelf(t, mem, tail)
	require.NoError(t, gone.Engine.Run(context.Background()))
	require.Equal(t, keep.Journal.(*store.Memory).Records(), mem.Records(), "the same journal, record for record")
	records := mem.Records()
	assert.Contains(t, kinds(records), "productOrder PO-2024-01203-M1 completed", "the speed change ran")
	assert.Equal(t, keep.products(), gone.products(), "the product inventory, from memory and the shelf")
	assert.Equal(t, keep.services(), gone.services(), "the service inventory, from memory and the shelf")
	assert.Equal(t, keep.resources(), gone.resources(), "the resource inventory, from memory and the shelf")
	assert.Contains(t, kinds(records), "resource SYD-EX-01-P2P-32 terminated", "the removed site gave its port back")
	keptNetwork, err := keep.Twin.Snapshot()
	require.NoError(t, err)
	goneNetwork, err := gone.Twin.Snapshot()
	require.NoError(t, err)
	assert.Equal(t, keptNetwork, goneNetwork, "the network's allocations are the same: what the removed site held is free")
	assert.Equal(t, keep.Report(), gone.Report(), "the report reads what left memory from the shelf")

	again, err := New(spec, Options{Journal: tail, Retention: time.Hour})
	require.NoError(t, err)
	require.NoError(t, again.Engine.Restore(snap))
	require.NoError(t, again.Engine.Run(context.Background()))
	require.Equal(t, records[snap.Records:], tail.Records(), "run on from the snapshot")
	end, err := again.Engine.Snapshot()
	require.NoError(t, err)
	last, err := gone.Engine.Snapshot()
	require.NoError(t, err)
	assert.Equal(t, last.Body, end.Body, "restored on the shelf, run on: the same end state")
}

// copyShelf puts on to's shelf every doc on from's: a store as it was at
// a snapshot, for a system restored from it.
func copyShelf(t *testing.T, from, to *store.Memory) {
	t.Helper()
	for _, kind := range []string{com.ShelfKind, com.QuoteShelfKind, com.AwaitingShelfKind, com.ProductShelfKind, som.ShelfKind, som.ServiceShelfKind,
		rom.ShelfKind, rom.ResourceShelfKind} {
		docs, err := from.ShelvedAll(kind)
		require.NoError(t, err)
		require.NoError(t, to.Shelve(docs))
	}
}

// kinds lists the records as "kind entity state".
func kinds(records []store.Record) []string {
	out := make([]string, len(records))
	for i, r := range records {
		out[i] = r.Kind + " " + r.Entity + " " + r.To
	}
	return out
}

// What became of a keyed change request leaves memory with its order and
// comes back with it: the request sent again after the order left memory
// is answered as the first was, and changes nothing, as when the order
// stays; while the order is on the shelf COM remembers no key.
func TestKeyedChangesLeaveMemoryWithTheirOrder(t *testing.T) {
	sc, err := Load("globaltech-5site.yaml")
	require.NoError(t, err)
	spec := sc.Spec
	day := 24 * time.Hour
	spec.Events = append(slices.Clone(spec.Events),
		Event{At: 200 * day, Change: &com.Change{Site: "MELB", Speed: "1G-sym", Key: "faster-melb"}, Note: "faster"},
		Event{At: 260 * day, Change: &com.Change{Site: "MELB", Speed: "1G-sym", Key: "faster-melb"}, Note: "faster, sent again"})
	keep, err := New(spec, Options{})
	require.NoError(t, err)
	require.NoError(t, keep.Engine.Run(context.Background()))
	assert.Equal(t, 1, keep.COM.KeyedChanges())

	mem := store.NewMemory()
	gone, err := New(spec, Options{Journal: mem, Retention: time.Hour})
	require.NoError(t, err)
	require.NoError(t, gone.Engine.RunUntil(context.Background(), 250*day))
	require.Empty(t, gone.COM.Orders(), "the order left memory after the change")
	assert.Zero(t, gone.COM.KeyedChanges(), "its key left with it")
	require.NoError(t, gone.Engine.Run(context.Background()))
	records := mem.Records()
	require.Equal(t, keep.Journal.(*store.Memory).Records(), records, "the same journal, record for record")
	modifies := 0
	for _, k := range kinds(records) {
		if strings.HasPrefix(k, "productOrder PO-2024-01203-M") && strings.HasSuffix(k, " acknowledged") {
			modifies++
		}
	}
	assert.Equal(t, 1, modifies, "one modify order: the key sent again placed none")
}

// The jeopardies raised on an order leave memory with it (COM's and
// ROM's): what stays in memory is what orders still there had raised, and
// each that left is on the shelf as it was raised, under its worklist id,
// where the report finds it (TestRetiredProductOrders: the same report).
func TestJeopardiesLeaveMemoryWithTheirOrders(t *testing.T) {
	left := map[string]int{}
	for _, file := range snapshotScenarios {
		t.Run(file, func(t *testing.T) {
			keep, gone, j := keptAndRetired(t, file)
			for _, sys := range []struct {
				kind, prefix string
				kept, stayed []tmf.Jeopardy
			}{
				{com.JeopardyShelfKind, com.JeopardyPrefix, keep.COM.Jeopardies(), gone.COM.Jeopardies()},
				{rom.JeopardyShelfKind, rom.JeopardyPrefix, keep.ROM.Jeopardies(), gone.ROM.Jeopardies()},
			} {
				for k, want := range sys.kept {
					require.Equal(t, k+1, want.N, "numbered in the order raised")
					id := fmt.Sprintf("%s%03d", sys.prefix, want.N)
					if slices.Contains(sys.stayed, want) {
						continue
					}
					d, ok, err := j.Shelved(sys.kind, id)
					require.NoError(t, err)
					require.True(t, ok, "%s left memory and is on the shelf", id)
					got, err := engine.ShelvedJeopardy(d.Body)
					require.NoError(t, err)
					assert.Equal(t, want, got, id)
					left[sys.prefix]++
				}
				assert.Subset(t, sys.kept, sys.stayed)
			}
		})
	}
	assert.NotZero(t, left[com.JeopardyPrefix], "COM's jeopardies left memory")
	assert.NotZero(t, left[rom.JeopardyPrefix], "ROM's jeopardies left memory")
}

// The idempotency keys of an order and its quote leave memory with them,
// listed by their docs on the shelf: a quote or order sent again with its
// key after they left memory, however late, is answered with what the
// first placed and places nothing; a new key places a new one (on the
// SQLite store too, whose shelf keeps items of consecutive numbers in
// runs: crm-order-8 is next to crm-order-7, and not it).
func TestIdempotencyKeysLeaveWithTheirOrder(t *testing.T) {
	spec, first := withoutOrders(t, "globaltech-5site.yaml")
	for _, name := range []string{"memory", "sqlite"} {
		t.Run(name, func(t *testing.T) {
			var j store.Journal = &lookups{Memory: store.NewMemory()}
			if name == "sqlite" {
				db, err := sqlite.Open(filepath.Join(t.TempDir(), "keys.db"), sqlite.Options{})
				require.NoError(t, err)
				defer db.Close()
				j = db
			}
			shelf, ok := store.ShelfOf(j)
			require.True(t, ok)
			sys, err := New(spec, Options{Journal: j, Retention: time.Hour})
			require.NoError(t, err)
			quote := first.Quote
			quote.ID, quote.Key = "QT-001", "crm-quote-7"
			sys.Engine.Inject(0, engine.COM, quote)
			po := com.NewOrder(first.OrderID, quote, quote.ID)
			po.ExternalID = "CRM-7"
			sys.Engine.Inject(first.At, engine.COM, com.OrderRequest{Order: po, Key: "crm-order-7"})
			day := 24 * time.Hour
			require.NoError(t, sys.Engine.RunUntil(context.Background(), 100*day))
			require.Empty(t, sys.COM.Orders(), "the order left memory")
			require.Empty(t, sys.COM.Quotes(), "with its quote")

			again := quote
			again.ID = ""
			retry := com.NewOrder("", quote, quote.ID)
			retry.ExternalID = "CRM-7"
			sys.Engine.Inject(365*day, engine.COM, again)
			sys.Engine.Inject(365*day, engine.COM, com.OrderRequest{Order: retry, Key: "crm-order-7"})
			// A key again with other content is refused, the placed
			// quote's and order's content read from the shelf.
			other := again
			other.Speed = "1G-sym"
			sys.Engine.Inject(365*day, engine.COM, other)
			otherOrder := com.NewOrder("", quote, quote.ID)
			otherOrder.ExternalID = "CRM-70"
			sys.Engine.Inject(365*day, engine.COM, com.OrderRequest{Order: otherOrder, Key: "crm-order-7"})
			require.NoError(t, sys.Engine.RunUntil(context.Background(), 366*day))
			assert.Empty(t, sys.COM.Quotes(), "the quote sent again a year later: none placed")
			assert.Empty(t, sys.COM.Orders(), "the order sent again: none placed")
			tail, ok := j.(store.Tail)
			require.True(t, ok)
			records, err := tail.RecordsAfter(0)
			require.NoError(t, err)
			var refused []string
			for _, r := range records {
				if r.Kind == engine.Refused {
					refused = append(refused, r.Reason)
				}
			}
			require.Len(t, refused, 2, "the keys with other content, and only they")
			assert.Contains(t, refused[0], "the request's key (crm-quote-7) placed quote QT-001, whose content is not this request's")
			assert.Contains(t, refused[1], "the request's key (crm-order-7) placed order "+first.OrderID+", whose content is not this request's")
			// Its externalId alone names it too, whatever the key.
			sameExternal := com.NewOrder("", quote, quote.ID)
			sameExternal.ExternalID = "CRM-7"
			sys.Engine.Inject(366*day, engine.COM, com.OrderRequest{Order: sameExternal, Key: "crm-order-7b"})
			require.NoError(t, sys.Engine.RunUntil(context.Background(), 366*day+time.Second))
			assert.Empty(t, sys.COM.Orders(), "the order sent again with its externalId: none placed")
			_, ok = sys.COM.OrderByExternalID(first.Quote.Customer.ID, "CRM-7")
			assert.False(t, ok, "its externalId left memory with it")
			for item, want := range map[[2]string]string{
				{com.ShelfKind, com.ExternalIDItem(first.Quote.Customer.ID, "CRM-7")}: first.OrderID,
				{com.ShelfKind, "order crm-order-7"}:                                  first.OrderID,
				{com.QuoteShelfKind, "quote crm-quote-7"}:                             "QT-001",
			} {
				id, ok, err := shelf.Owner(item[0], item[1])
				require.NoError(t, err)
				assert.True(t, ok, "the %s's doc lists %q", item[0], item[1])
				assert.Equal(t, want, id, item[1])
			}
			state, err := sys.COM.AppendState(nil)
			require.NoError(t, err)
			assert.False(t, strings.Contains(string(state), "crm-order-7"), "COM's memory keeps no key of what left it")

			fresh := first.Quote
			fresh.ID, fresh.Key = "QT-002", "crm-quote-8"
			sys.Engine.Inject(366*day, engine.COM, fresh)
			order := com.NewOrder("", quote, quote.ID)
			order.ExternalID = "CRM-8"
			sys.Engine.Inject(366*day, engine.COM, com.OrderRequest{Order: order, Key: "crm-order-8"})
			require.NoError(t, sys.Engine.RunUntil(context.Background(), 366*day+time.Minute))
			_, ok = sys.COM.Quote("QT-002")
			assert.True(t, ok, "a new key places a new quote")
			require.Len(t, sys.COM.Orders(), 1, "and a new order")
			assert.NotEqual(t, first.OrderID, sys.COM.Orders()[0].ID)

			if l, ok := j.(*lookups); ok {
				// The keys sent again were looked for on the shelf; the
				// new ones were known new without a read.
				assert.Subset(t, l.items, []string{"order crm-order-7", "quote crm-quote-7"}, "the keys that left memory are read")
				assert.NotContains(t, l.items, "order crm-order-8")
				assert.NotContains(t, l.items, "quote crm-quote-8")
			}
		})
	}
}

// lookups is a store in memory that notes the items looked for on its
// shelf.
type lookups struct {
	*store.Memory
	items []string
}

func (l *lookups) Owner(kind, item string) (string, bool, error) {
	l.items = append(l.items, item)
	return l.Memory.Owner(kind, item)
}

// A quote rejected before any order was placed for it leaves memory a
// retention later, on the shelf as it was; an order placed for it after
// is rejected as if the quote had stayed, the same order field for field.
func TestRejectedQuoteLeavesMemory(t *testing.T) {
	spec, first := withoutOrders(t, "approval-rejected.yaml")
	day := 24 * time.Hour
	systems := map[string]*System{}
	for name, retention := range map[string]time.Duration{"kept": 0, "gone": time.Hour} {
		sys, err := New(spec, Options{Journal: store.NewMemory(), Retention: retention})
		require.NoError(t, err)
		quote := first.Quote
		quote.ID = "QT-001"
		sys.Engine.Inject(0, engine.COM, quote)
		require.NoError(t, sys.Engine.RunUntil(context.Background(), 10*day))
		po := com.NewOrder(first.OrderID, quote, quote.ID)
		for i := range po.Items { // as an API client may send them: COM fills them from the quote
			po.Items[i].Place, po.Items[i].ItemTerm, po.Items[i].MonthlyPrice = tmf.Place{}, 0, 0
		}
		sys.Engine.Inject(10*day, engine.COM, com.OrderRequest{Order: po})
		require.NoError(t, sys.Engine.RunUntil(context.Background(), 10*day+time.Minute))
		systems[name] = sys
	}
	kept, gone := systems["kept"], systems["gone"]
	require.Len(t, kept.COM.Quotes(), 1)
	assert.Equal(t, lc.Rejected, kept.COM.Quotes()[0].State)
	assert.Empty(t, gone.COM.Quotes(), "the rejected quote left memory")
	d, ok, err := gone.Journal.(*store.Memory).Shelved(com.QuoteShelfKind, "QT-001")
	require.NoError(t, err)
	require.True(t, ok, "the quote is on the shelf")
	v, err := com.ShelvedQuote(d.Body)
	require.NoError(t, err)
	assert.Equal(t, kept.COM.Quotes()[0], v, "as it was")

	require.Len(t, kept.COM.Orders(), 1)
	require.Len(t, gone.COM.Orders(), 1)
	assert.Equal(t, lc.Rejected, kept.COM.Orders()[0].State)
	assert.Equal(t, *kept.COM.Orders()[0], *gone.COM.Orders()[0], "the order for it, rejected as when the quote stays")
}

// A quote accepted and waiting for its order leaves memory a retention
// later, on the shelf as it was; the order placed for it after takes it
// back and runs its course as if the quote had stayed: the same order,
// field for field, once completed. A second order for it finds no quote
// to take back.
func TestAcceptedQuoteAwaitsItsOrderOnTheShelf(t *testing.T) {
	spec, first := withoutOrders(t, "globaltech-5site.yaml")
	day := 24 * time.Hour
	systems := map[string]*System{}
	var waiting com.QuoteView // the quote as it waits for its order
	for _, name := range []string{"kept", "gone"} {
		retention := map[string]time.Duration{"kept": 0, "gone": time.Hour}[name]
		sys, err := New(spec, Options{Journal: store.NewMemory(), Retention: retention})
		require.NoError(t, err)
		quote := first.Quote
		quote.ID, quote.Key = "QT-001", "crm-quote-9"
		sys.Engine.Inject(0, engine.COM, quote)
		require.NoError(t, sys.Engine.RunUntil(context.Background(), 20*day))
		if name == "kept" {
			require.Len(t, sys.COM.Quotes(), 1)
			waiting = sys.COM.Quotes()[0]
		} else {
			assert.Empty(t, sys.COM.Quotes(), "the accepted quote left memory")
			d, ok, err := sys.Journal.(*store.Memory).Shelved(com.QuoteShelfKind, "QT-001")
			require.NoError(t, err)
			require.True(t, ok, "the quote is on the shelf")
			v, err := com.ShelvedQuote(d.Body)
			require.NoError(t, err)
			assert.Equal(t, lc.Accepted, v.State)
			assert.Equal(t, waiting, v, "as it was")
		}
		po := com.NewOrder(first.OrderID, quote, quote.ID)
		sys.Engine.Inject(20*day, engine.COM, com.OrderRequest{Order: po})
		require.NoError(t, sys.Engine.RunUntil(context.Background(), 20*day+time.Minute))
		require.Len(t, sys.COM.Quotes(), 1, "%s: the quote is in memory with its order", name)
		require.NoError(t, sys.Engine.RunUntil(context.Background(), 200*day))
		systems[name] = sys
	}
	kept, gone := systems["kept"], systems["gone"]
	require.Len(t, kept.COM.Orders(), 1)
	assert.Equal(t, lc.Completed, kept.COM.Orders()[0].State)
	assert.Empty(t, gone.COM.Orders(), "the order left memory once completed")
	d, ok, err := gone.Journal.(*store.Memory).Shelved(com.ShelfKind, first.OrderID)
	require.NoError(t, err)
	require.True(t, ok)
	po, err := com.Shelved(d.Body)
	require.NoError(t, err)
	assert.Equal(t, *kept.COM.Orders()[0], *po, "the order ran its course as if the quote had stayed")

	// The quote came back for its order and left with it: another order
	// for it is rejected, as it is when the quote stays (one order carries
	// a quote out), and the first order is as it was.
	for _, sys := range []*System{kept, gone} {
		again := com.NewOrder("PO-AGAIN", first.Quote, "QT-001")
		sys.Engine.Inject(200*day, engine.COM, com.OrderRequest{Order: again})
		require.NoError(t, sys.Engine.RunUntil(context.Background(), 200*day+time.Minute))
	}
	require.NotNil(t, kept.COM.Order("PO-AGAIN"))
	require.NotNil(t, gone.COM.Order("PO-AGAIN"))
	again := *kept.COM.Order("PO-AGAIN")
	assert.Equal(t, lc.Rejected, again.State)
	require.NotEmpty(t, again.Items)
	assert.Equal(t, "quote QT-001 is ordered already, by "+first.OrderID+": a new order needs a new quote", again.Items[0].StateReason)
	assert.Equal(t, "MELB", again.Items[0].Place.ID, "filled from the quote, as it came")
	assert.Equal(t, again, *gone.COM.Order("PO-AGAIN"))
	assert.Equal(t, lc.Completed, kept.COM.Order(first.OrderID).State)
}

// A second order for a quote in memory, ordered already, is rejected as it
// comes, whether the first is still in review, running or ended; the
// first goes on as if the second had never come.
func TestOneOrderCarriesAQuoteOut(t *testing.T) {
	spec, first := withoutOrders(t, "globaltech-5site.yaml")
	day := 24 * time.Hour
	for _, at := range []time.Duration{time.Minute, 3 * day, 150 * day} {
		sys, err := New(spec, Options{Journal: store.NewMemory()})
		require.NoError(t, err)
		quote := first.Quote
		quote.ID = "QT-001"
		sys.Engine.Inject(0, engine.COM, quote)
		sys.Engine.Inject(time.Second, engine.COM, com.OrderRequest{Order: com.NewOrder("PO-1", quote, quote.ID)})
		sys.Engine.Inject(at, engine.COM, com.OrderRequest{Order: com.NewOrder("PO-2", quote, quote.ID)})
		require.NoError(t, sys.Engine.RunUntil(context.Background(), 200*day))
		second := sys.COM.Order("PO-2")
		require.NotNil(t, second, "at %v", at)
		assert.Equal(t, lc.Rejected, second.State, "at %v", at)
		assert.Equal(t, "quote QT-001 is ordered already, by PO-1: a new order needs a new quote", second.Items[0].StateReason, "at %v", at)
		assert.Equal(t, lc.Completed, sys.COM.Order("PO-1").State, "at %v: the first runs its course", at)
	}
}

// A site held for capacity raises a network-planning task; the task leaves
// memory with its order and comes back with it: a change of a site of
// the order long after it left memory is carried out as if the order had
// stayed (the same journal, record for record), and while the order is on
// the shelf COM keeps no task.
func TestPlanningTasksLeaveMemoryWithTheirOrder(t *testing.T) {
	sc, err := Load("brisbane-capacity.yaml")
	require.NoError(t, err)
	spec := sc.Spec
	day := 24 * time.Hour
	spec.Events = append(slices.Clone(spec.Events),
		Event{At: 300 * day, Change: &com.Change{Site: "BNE2", Speed: "1G-sym"}, Note: "faster"})
	keep, err := New(spec, Options{})
	require.NoError(t, err)
	require.NoError(t, keep.Engine.Run(context.Background()))
	require.Contains(t, kinds(keep.Journal.(*store.Memory).Records()), "task TASK-001 fulfilled", "a planning task was raised and done")

	mem := store.NewMemory()
	gone, err := New(spec, Options{Journal: mem, Retention: time.Hour})
	require.NoError(t, err)
	require.NoError(t, gone.Engine.RunUntil(context.Background(), 250*day))
	require.Empty(t, gone.COM.Orders(), "the order left memory")
	state, err := gone.COM.AppendState(nil)
	require.NoError(t, err)
	assert.False(t, strings.Contains(string(state), "TASK-001"), "COM keeps no task of an order on the shelf")
	require.NoError(t, gone.Engine.Run(context.Background()))
	require.Equal(t, keep.Journal.(*store.Memory).Records(), mem.Records(), "the same journal, record for record")
	assert.Contains(t, kinds(mem.Records()), "productOrder PO-2024-01203-M1 completed", "the change ran")
}

// A change to an order or a quote that ended and left memory says that it
// ended, as it does while they stay, not that there is no such thing.
func TestEndedAndGoneSaysSo(t *testing.T) {
	sc, err := Load("globaltech-5site.yaml")
	require.NoError(t, err)
	sys, err := New(sc.Spec, Options{Journal: store.NewMemory(), Retention: time.Hour})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sys.Engine.Serve(ctx) }()
	defer func() {
		cancel()
		require.ErrorIs(t, <-done, context.Canceled)
	}()
	for pending := -1; pending != 0; {
		require.NoError(t, sys.Engine.Query(ctx, func() { pending = sys.Engine.Pending() }))
	}
	require.Nil(t, sys.COM.Order("PO-2024-01203"), "the order ended and left memory")

	// A refused change is the command's answer (an error), or its error.
	answer := func(v any, err error) error {
		if err != nil {
			return err
		}
		refused, _ := v.(error)
		return refused
	}
	err = answer(sys.Engine.Command(ctx, engine.COM, com.Describe{Order: "PO-2024-01203", Description: "new"}))
	assert.ErrorIs(t, err, com.ErrFinal)
	assert.ErrorContains(t, err, "product order PO-2024-01203 is completed")
	err = answer(sys.Engine.Command(ctx, engine.COM, com.Review{Quote: "QT-001", Stage: "technical", Approved: true}))
	assert.ErrorIs(t, err, com.ErrNotAwaited)
	assert.ErrorContains(t, err, "quote QT-001 (accepted) awaits no review")
	err = answer(sys.Engine.Command(ctx, engine.COM, com.Describe{Order: "PO-NONE", Description: "new"}))
	assert.ErrorContains(t, err, `product order "PO-NONE": no such order`)
}

// withoutOrders is the spec of the scenario in file with no order of its
// own, and its first order, which the test places as it needs.
func withoutOrders(t *testing.T, file string) (Spec, Placement) {
	t.Helper()
	sc, err := Load(file)
	require.NoError(t, err)
	spec := sc.Spec
	first := spec.Orders[0]
	spec.Orders = nil
	return spec, first
}

// A report of many orders is a summary: it counts what the run made and
// lists none of it. With a retention, it counts what left memory from the
// shelf, and comes out as a run that keeps every order reports it.
func TestSummaryReportCountsWhatLeftMemory(t *testing.T) {
	for _, file := range []string{"newuser-v2-coop-selectors.yaml", "v2-retailer-shortage.yaml", "v2-change-storm.yaml"} {
		t.Run(file, func(t *testing.T) {
			keep, gone, _ := keptAndRetired(t, file)
			require.Less(t, len(gone.COM.Orders()), len(keep.COM.Orders()), "orders left memory")
			r := keep.Report()
			require.True(t, r.Summary)
			assert.Equal(t, r, gone.Report(), "the summary reads what left memory from the shelf")

			assert.Equal(t, len(keep.COM.Orders()), r.Counts.ProductOrders)
			assert.Equal(t, len(keep.SOM.Orders()), r.Counts.ServiceOrders)
			assert.Equal(t, len(keep.ROM.Orders()), r.Counts.ResourceOrders)
			items, states := 0, map[string]int{}
			for _, po := range keep.COM.Orders() {
				items += len(po.Items)
				states[po.State]++
			}
			assert.Equal(t, items, r.Counts.ProductOrderItems)
			assert.Equal(t, states, r.Orders)
			items = 0
			for _, ro := range keep.ROM.Orders() {
				items += len(ro.Items)
			}
			assert.Equal(t, items, r.Counts.ResourceOrderItems)
			assert.Equal(t, len(keep.COM.Products.All()), r.Counts.ProductInstances)
			assert.Equal(t, len(keep.SOM.Services.All()), r.Counts.ServiceInstances)
			assert.Equal(t, len(keep.ROM.Resources.All()), r.Counts.Resources)
			monthly := 0.0
			for _, p := range keep.COM.Products.All() {
				if p.Status != "terminated" {
					monthly += p.MonthlyPrice
				}
			}
			assert.InDelta(t, monthly, r.Billing.Monthly, 1e-6)
			assert.Empty(t, r.ProductOrders)
			assert.Empty(t, r.Resources)
			assert.Empty(t, r.Timeline)
		})
	}
}
