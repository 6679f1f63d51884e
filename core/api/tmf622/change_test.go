package tmf622_test

import (
	"net/http"
	"testing"

	"github.com/ordertwin/ordertwin/core/api/tmf622"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Change orders over TMF622 on the worked example's installed products: a
// modify item changes MELB's speed with a modify order, a delete item
// disconnects SYD2 with a disconnect order (its product terminated), and
// what COM cannot do is refused naming why (seed and issue 3: mid-rollout
// changes; TMF622 OrderItemActionType modify and delete).
func TestChangeOrdersOverHTTP(t *testing.T) {
	l, q, orderBody := quoted(t, nil)
	defer l.Stop()
	var po tmf622.ProductOrder
	require.Equal(t, http.StatusCreated, l.Do(t, "POST", ordersPath, orderBody(q.ID, ""), &po).Code)
	l.Idle(t)
	l.Do(t, "GET", ordersPath+"/"+po.ID, nil, &po)
	require.Equal(t, "completed", po.State)
	melb, syd2 := po.ProductOrderItem[0].Product.ID, po.ProductOrderItem[2].Product.ID
	require.NotEmpty(t, melb)

	var mod, again tmf622.ProductOrder
	modify := `{"externalId":"CHG-77","description":"more speed for the new office","productOrderItem":[{"id":"1","action":"modify","product":{"id":"` + melb +
		`","productCharacteristic":[{"name":"speed","value":"1G-sym"}]}}]}`
	w := l.Do(t, "POST", ordersPath, modify, &mod)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	assert.Equal(t, ordersPath+"/"+mod.ID, w.Header().Get("Location"))
	assert.Empty(t, w.Header().Get("Idempotent-Replayed"))
	w = l.Do(t, "POST", ordersPath, modify, &again)
	assert.Equal(t, http.StatusCreated, w.Code, "the same externalId: the same change order, no second")
	assert.Equal(t, "true", w.Header().Get("Idempotent-Replayed"), "the first's answer, replayed")
	assert.Equal(t, mod.ID, again.ID)
	assert.Equal(t, "modify", mod.ProductOrderItem[0].Action)
	assert.Equal(t, "CHG-77", mod.ExternalID, "the change order is the one the request named")
	assert.Equal(t, "more speed for the new office", mod.Description)
	var listed []tmf622.ProductOrder
	l.Do(t, "GET", ordersPath+"?externalId=CHG-77", nil, &listed)
	require.Len(t, listed, 1, "found by its externalId")
	assert.Equal(t, mod.ID, listed[0].ID)
	l.Idle(t)
	l.Do(t, "GET", ordersPath+"/"+mod.ID, nil, &mod)
	assert.Equal(t, "completed", mod.State)
	var product map[string]any
	l.Do(t, "GET", tmf630.ProductInventory+"/product/"+melb, nil, &product)
	assert.Contains(t, product["productCharacteristic"], map[string]any{"name": "speed", "value": "1G-sym", "valueType": "string"})

	var del tmf622.ProductOrder
	w = l.Do(t, "POST", ordersPath, `{"externalId":"CHG-78","description":"office closed","productOrderItem":[{"id":"1","action":"delete","product":{"id":"`+syd2+`"}}]}`, &del)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	assert.Equal(t, "delete", del.ProductOrderItem[0].Action)
	assert.Equal(t, "CHG-78", del.ExternalID)
	assert.Contains(t, del.Description, "office closed")
	l.Idle(t)
	l.Do(t, "GET", tmf630.ProductInventory+"/product/"+syd2, nil, &product)
	assert.Equal(t, "terminated", product["status"])
	// The disconnect sent again (a client's retry, after it ended) is
	// answered as it was first, not refused for what it did.
	var delAgain tmf622.ProductOrder
	w = l.Do(t, "POST", ordersPath, `{"externalId":"CHG-78","description":"office closed","productOrderItem":[{"id":"1","action":"delete","product":{"id":"`+syd2+`"}}]}`, &delAgain)
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	assert.Equal(t, "true", w.Header().Get("Idempotent-Replayed"))
	assert.Equal(t, del.ID, delAgain.ID)
	var e tmf630.Error
	w = l.Do(t, "POST", ordersPath, `{"externalId":"CHG-79","productOrderItem":[{"id":"1","action":"delete","product":{"id":"`+syd2+`"}}]}`, &e)
	assert.Equal(t, http.StatusConflict, w.Code, "another key: the product is terminated")
	assert.Contains(t, e.Message, "is terminated")

	for _, tc := range []struct {
		body   string
		status int
		says   string
	}{
		{`{"productOrderItem":[{"id":"1","action":"modify","product":{"id":"PI-NOPE","productCharacteristic":[{"name":"speed","value":"1G-sym"}]}}]}`,
			400, `productOrderItem[0].product.id: no product "PI-NOPE"`},
		{`{"productOrderItem":[{"id":"1","action":"modify","product":{"id":"` + melb + `","productCharacteristic":[{"name":"speed","value":"10G-sym"}]}}]}`,
			409, `speed "10G-sym" is not offered`},
		{`{"productOrderItem":[{"id":"1","action":"delete","product":{"id":"` + syd2 + `"}}]}`, 409, "is terminated"},
		{`{"productOrderItem":[{"id":"1","action":"modify","product":{"id":"` + melb + `"}}]}`, 400, "gives the new speed or slaTier"},
		{`{"productOrderItem":[{"id":"1","action":"modify","product":{"id":"` + melb + `"}},{"id":"2","action":"add"}]}`, 400, "one item"},
		{`{"productOrderItem":[{"id":"1","action":"delete"}]}`, 400, "product.id: required"},
		{`{"productOrderItem":[{"id":"1","action":"add"},{"id":"2","action":"delete","product":{"id":"x"}}]}`, 400, "a change order has one modify or delete item"},
	} {
		var e tmf630.Error
		w := l.Do(t, "POST", ordersPath, tc.body, &e)
		assert.Equal(t, tc.status, w.Code, tc.body)
		assert.Contains(t, e.Message, tc.says)
	}
}
