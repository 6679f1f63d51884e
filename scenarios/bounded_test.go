package scenarios

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ordertwin/ordertwin/core/com"
	"github.com/ordertwin/ordertwin/core/engine"
	"github.com/ordertwin/ordertwin/core/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// §7 state bounded by the work in flight: once every order has finished
// and left memory, what COM, SOM and ROM keep (their snapshot state) is
// the same whether they finished 150 orders or twice as many, each
// customer's first site qualified first (TMF679), one customer in ten
// placing an order for a quote COM does not know besides (rejected), and
// one in ten asking a second quote it never orders (accepted). Every
// request carries an idempotency key, and every order an externalId: they
// leave memory with what they placed (docs/api.md, "Idempotency"). The
// twin is left out: it is the
// network, whose allocations (every customer's sites stay in service)
// grow with the customers, not with history; so does COM's index of the
// sites in service (docs/api.md, "A site in service is not ordered
// again"), its product's id, at most 20 bytes a site.
func TestStateAfterRetirementDoesNotGrow(t *testing.T) {
	data, err := os.ReadFile("live/population.yaml")
	require.NoError(t, err)
	here, err := filepath.Abs(".")
	require.NoError(t, err)
	kept := func(customers int) (map[string]int, int) {
		file := strings.NewReplacer("../", here+"/", "orders: api", "orders: scenario\n  arrival: PT1H",
			"customers: 15000", fmt.Sprintf("customers: %d", customers)).Replace(string(data))
		path := filepath.Join(t.TempDir(), "population.yaml")
		require.NoError(t, os.WriteFile(path, []byte(file), 0o644))
		sc, err := Load(path)
		require.NoError(t, err)
		orders := sc.Spec.Orders
		sc.Spec.Orders = nil
		sys, err := New(sc.Spec, Options{Retention: time.Hour, Journal: store.NewMemory()})
		require.NoError(t, err)
		for i, p := range orders {
			sys.Engine.Inject(0, engine.COM, com.Qualify{Customer: p.Quote.Customer, Key: fmt.Sprintf("poq-%d", i),
				Items: []com.QualifyItem{{ID: "1", Offering: p.Quote.Offering, Site: p.Quote.Sites[0]}}})
			p.Quote.Key = fmt.Sprintf("quote-%d", i)
			sys.Engine.Inject(0, engine.COM, p.Quote)
			po := com.NewOrder(p.OrderID, p.Quote, p.Quote.ID)
			po.ExternalID = fmt.Sprintf("CRM-%d", i)
			sys.Engine.Inject(p.At, engine.COM, com.OrderRequest{Order: po, Key: fmt.Sprintf("order-%d", i)})
			if i%10 == 5 { // and a quote never ordered: accepted, it waits for its order
				spare := p.Quote
				spare.ID, spare.Key = fmt.Sprintf("QT-SPARE-%05d", i), fmt.Sprintf("spare-%d", i)
				sys.Engine.Inject(0, engine.COM, spare)
			}
			if i%10 == 0 { // and an order naming a quote COM does not know: rejected as it comes
				stray := com.NewOrder("", p.Quote, fmt.Sprintf("QT-STRAY-%05d", i))
				stray.ExternalID = fmt.Sprintf("CRM-STRAY-%d", i)
				sys.Engine.Inject(p.At, engine.COM, com.OrderRequest{Order: stray, Key: fmt.Sprintf("stray-%d", i)})
			}
		}
		require.NoError(t, sys.Engine.RunUntil(context.Background(), 200*24*time.Hour))
		require.Empty(t, sys.COM.Orders(), "every product order finished and left memory")
		require.Empty(t, sys.ROM.Orders(), "every resource order finished and left memory")
		sizes := map[string]int{}
		for name, part := range map[string]engine.StateAppender{"COM": sys.COM, "SOM": sys.SOM, "ROM": sys.ROM} {
			b, err := part.AppendState(nil)
			require.NoError(t, err)
			sizes[name] = len(b)
		}
		return sizes, sys.COM.InService()
	}
	few, fewSites := kept(150)
	more, moreSites := kept(300)
	require.Equal(t, 2*fewSites, moreSites, "every customer's sites stay in service")
	for name, n := range few {
		// A counter of ids given (three digits or four) may take a byte more.
		grows := 0
		if name == "COM" {
			grows = 20 * (moreSites - fewSites)
		}
		assert.LessOrEqual(t, more[name], n+grows+8, "%s keeps %d bytes after 150 orders, %d after 300", name, n, more[name])
		assert.GreaterOrEqual(t, more[name], n-8, "%s keeps %d bytes after 150 orders, %d after 300", name, n, more[name])
	}
}
