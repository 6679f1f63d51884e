package tmf679_test

import (
	"strings"
	"testing"

	"github.com/ordertwin/ordertwin/core/api/apitest"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/api/tmf679"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The qualification decoder takes outside input (apitest.DecodeRefused).
func FuzzDecodeQualification(f *testing.F) {
	good := apitest.MustMarshal(f, newQualificationBody(apitest.WorkedQuote(f)))
	apitest.AddSeeds(f, good,
		`{"relatedParty":[{"id":"C1","role":"customer"}],"place":[{"role":"installationAddress","address":"a"}],`+
			`"productOfferingQualificationItem":[{"id":"1","productOffering":{"id":"PO-EFCG-01"}},{"id":"2","productOffering":{"id":"PO-EFCG-01"}}]}`,
		`{"relatedParty":[{"id":"C1","role":"customer"}],"productOfferingQualificationItem":[{"id":"1","productOffering":{"id":"O"}}]}`,
		strings.Replace(good, `"add"`, `"delete"`, 1), strings.Replace(good, `"SYD1"`, `"MELB"`, 1),
		strings.Replace(good, `"description"`, `"state":"done","description"`, 1),
		strings.Replace(good, `"description"`, `"requestedPOQCompletionDate":"soon","description"`, 1),
		strings.Replace(good, `"action":"add"`, `"action":"add","qualificationItemResult":"qualified"`, 1))
	f.Fuzz(func(t *testing.T, body []byte) {
		in, e := tmf679.DecodeQualification(body)
		if e != nil {
			apitest.DecodeRefused(t, e)
			return
		}
		assert.NotEmpty(t, in.Customer.ID)
		require.NotEmpty(t, in.Items, "at least one item")
		ids := map[string]bool{}
		for _, it := range in.Items {
			assert.NotEmpty(t, it.ID)
			assert.False(t, ids[it.ID], "item ids are unique: %q", it.ID)
			ids[it.ID] = true
			assert.NotEmpty(t, it.Offering)
			assert.NotEmpty(t, it.Site.Code)
			assert.NotEmpty(t, it.Site.Address)
		}
		b := qualificationBody{Description: in.Description,
			RelatedParty: []tmf630.Ref{{ID: in.Customer.ID, Name: in.Customer.Name, Role: "customer"}}}
		for _, it := range in.Items {
			b.Items = append(b.Items, qualificationItem{ID: it.ID, ProductOffering: tmf630.Ref{ID: it.Offering},
				Product: &tmf630.ItemProduct{Place: []tmf630.Place{{ID: it.Site.Code, Name: it.Site.Name, Address: it.Site.Address}}}})
		}
		again, e := tmf679.DecodeQualification(apitest.Reencode(t, b))
		require.Nil(t, e, "the body of what was decoded is taken again")
		assert.Equal(t, in.Qualify, again.Qualify)
	})
}
