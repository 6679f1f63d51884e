package tmf641_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ordertwin/ordertwin/core/api/apitest"
	"github.com/ordertwin/ordertwin/core/api/orderwire"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// §4 decomposition: SOM decomposes a site's CFS by the catalog's plan of
// them on the site's access technology, with the variables its items'
// characteristics give. A service order posted over TMF641 that SOM
// could not decompose is refused at once, 400 naming the member it lacks,
// and places nothing; it used to be accepted (201) and its items failed
// when their plan was due ("no plan for [...] on technology \"\"").
func TestServiceOrderSOMCannotDecomposeIsRefused(t *testing.T) {
	l := apitest.ServeLive(t, nil)
	defer l.Stop()
	with := func(body string, edits ...string) string {
		for i := 0; i+1 < len(edits); i += 2 {
			require.Contains(t, body, edits[i])
			body = strings.Replace(body, edits[i], edits[i+1], 1)
		}
		return body
	}
	acme := apitest.AcmeServiceOrder
	const gpon = `, {"name": "technology", "value": "GPON"}`
	qos := acme[strings.Index(acme, `    {"id": "2"`):strings.Index(acme, `    {"id": "3"`)]
	for _, tc := range []struct {
		name, body, says string
	}{
		{"no technology", with(acme, gpon, ""),
			`serviceOrderItem[0].service.serviceCharacteristic[technology]: required: site "ACME-MEL"'s access technology (GPON, P2P-Ethernet), which SOM decomposes CFS:Fibre-Access, CFS:Enterprise-QoS, CFS:CPE-Management on`},
		{"a technology the CFS are not realised on", with(acme, `"value": "GPON"`, `"value": "DSL"`),
			`serviceOrderItem[0].service.serviceCharacteristic[technology]: "DSL": site "ACME-MEL"'s CFS:Fibre-Access, CFS:Enterprise-QoS, CFS:CPE-Management are realised on GPON, P2P-Ethernet only`},
		{"the technology on another item", with(acme, gpon, "", `{"name": "model", "value": "ISR-4431"}`, `{"name": "model", "value": "ISR-4431"}, {"name": "technology", "value": "DSL"}`),
			`serviceOrderItem[2].service.serviceCharacteristic[technology]: "DSL"`},
		{"no OLT area on GPON", with(acme, `{"name": "oltArea", "value": "SOUTH-03"}, `, ""),
			`serviceOrderItem[0].service.serviceCharacteristic[oltArea]: required: site "ACME-MEL"'s RFS:GPON-Bearer (OLTPort) of CFS:Fibre-Access on GPON is made with it`},
		{"no exchange on P2P Ethernet", with(acme, `"value": "GPON"`, `"value": "P2P-Ethernet"`),
			`serviceOrderItem[0].service.serviceCharacteristic[exchange]: required: site "ACME-MEL"'s RFS:P2P-Bearer (P2PHandoff)`},
		{"no IP pool", with(acme, `, {"name": "ipPool", "value": "SOUTH-ENT"}`, ""),
			`serviceOrderItem[0].service.serviceCharacteristic[ipPool]: required: site "ACME-MEL"'s RFS:IP-Profile (IPv4Subnet)`},
		{"no SLA tier", with(acme, `{"name": "slaTier", "value": "Gold"}, `, ""),
			`serviceOrderItem[1].service.serviceCharacteristic[slaTier]: required: site "ACME-MEL"'s RFS:QoS-Policy (QoSPolicy) of CFS:Enterprise-QoS`},
		{"no CPE model", with(acme, `{"name": "model", "value": "ISR-4431"}, `, ""),
			`serviceOrderItem[2].service.serviceCharacteristic[model]: required: site "ACME-MEL"'s RFS:CE-Router (CPE) of CFS:CPE-Management`},
		{"CFS out of their specification's order", with(acme, qos, "", `  ]`, ",\n"+strings.TrimSuffix(qos, ",\n")+"\n  ]"),
			`serviceOrderItem[0].service.serviceSpecification.id: site "ACME-MEL"'s items order CFS:Fibre-Access, CFS:CPE-Management, CFS:Enterprise-QoS: SOM decomposes them in their specification's order, CFS:Fibre-Access, CFS:Enterprise-QoS, CFS:CPE-Management: order its items so`},
		{"CFS no plan realises together", with(acme, `"CFS:CPE-Management"`, `"CFS:Fibre-Access"`),
			`serviceOrderItem[0].service.serviceSpecification.id: site "ACME-MEL"'s items order CFS:Fibre-Access, CFS:Enterprise-QoS, CFS:Fibre-Access together, which no plan of the catalog realises`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e tmf630.Error
			w := l.Do(t, "POST", serviceOrdersPath, tc.body, &e)
			assert.Equal(t, http.StatusBadRequest, w.Code, w.Body.String())
			assert.Contains(t, e.Message, tc.says)
		})
	}
	var orders []orderwire.ServiceOrder
	l.Do(t, "GET", serviceOrdersPath, nil, &orders)
	assert.Empty(t, orders, "no order SOM cannot decompose was placed")

	// What SOM can decompose is taken as before, on either technology,
	// and completes.
	sydney := strings.NewReplacer(`"ACME-77/SO-1"`, `"ACME-77/SO-2"`, `ACME-MEL`, `ACME-SYD`,
		`Level 12, 120 Collins Street, Melbourne VIC 3000`, `Level 20, 1 Martin Place, Sydney NSW 2000`, `"value": "GPON"`, `"value": "P2P-Ethernet"`,
		`{"name": "oltArea", "value": "SOUTH-03"}, {"name": "ipPool", "value": "SOUTH-ENT"}`,
		`{"name": "exchange", "value": "SYD-EX-01"}, {"name": "ipPool", "value": "SYD-ENT"}`).Replace(acme)
	for _, body := range []string{acme, sydney} {
		var so orderwire.ServiceOrder
		w := l.Do(t, "POST", serviceOrdersPath, body, &so)
		require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
		l.Idle(t)
		require.Equal(t, http.StatusOK, l.Do(t, "GET", serviceOrdersPath+"/"+so.ID, nil, &so).Code)
		assert.Equal(t, "completed", so.State, "%+v", so.ServiceOrderItem)
	}
}
