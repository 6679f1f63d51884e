package api_test

import (
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"testing"

	"github.com/ordertwin/ordertwin/core/api/apitest"
	"github.com/ordertwin/ordertwin/core/api/tmf622"
	"github.com/ordertwin/ordertwin/core/api/tmf648"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var rewrite = flag.Bool("rewrite", false, "rewrite docs/examples from the worked example")

// The README's curl sequence, as files: docs/examples/quote.json and
// order.json are the worked example's bodies (regenerate them with
// -rewrite), and posted in that order to a fresh server they place the
// order, which completes.
func TestDocsExamples(t *testing.T) {
	quoteBody, orderBody := apitest.Worked(t)
	for name, body := range map[string]any{"quote.json": quoteBody, "order.json": orderBody("QT-001", "PO-2024-01203")} {
		want, err := json.MarshalIndent(body, "", "  ")
		require.NoError(t, err)
		path := "../../docs/examples/" + name
		if *rewrite {
			require.NoError(t, os.WriteFile(path, append(want, '\n'), 0o644))
		}
		got, err := os.ReadFile(path)
		require.NoError(t, err, "run go test ./core/api -run DocsExamples -rewrite")
		assert.JSONEq(t, string(want), string(got), "%s is stale: run go test ./core/api -run DocsExamples -rewrite", path)
	}

	l := apitest.ServeLive(t, nil)
	defer l.Stop()
	quote, err := os.ReadFile("../../docs/examples/quote.json")
	require.NoError(t, err)
	order, err := os.ReadFile("../../docs/examples/order.json")
	require.NoError(t, err)
	var q tmf648.Quote
	require.Equal(t, http.StatusCreated, l.Do(t, "POST", quotesPath, string(quote), &q).Code)
	assert.Equal(t, "QT-001", q.ID)
	var po tmf622.ProductOrder
	require.Equal(t, http.StatusCreated, l.Do(t, "POST", ordersPath, string(order), &po).Code)
	assert.Equal(t, "PO-001", po.ID)
	l.Idle(t)
	l.Do(t, "GET", ordersPath+"/PO-001", nil, &po)
	assert.Equal(t, "completed", po.State)
}
