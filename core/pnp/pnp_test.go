package pnp

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWorkRoundTrip(t *testing.T) {
	m := Work("PID:ISR4431/K9,VID:V01,SN:FDO2340567", &Request{Xmlns: CLIConfig, Correlator: "ROI-006-1",
		ConfigApply: &ConfigApply{Details: "all", ActionOnFail: "stop",
			Block: ConfigData{Block: CDATA{Text: "hostname CE-ENT-1102-MELB\n!\n"}}}, ConfigPersist: &struct{}{}})
	body := m.Marshal()
	assert.Contains(t, string(body), `<pnp xmlns="urn:cisco:pnp" version="1.0" udi="PID:ISR4431/K9,VID:V01,SN:FDO2340567">`)
	assert.Contains(t, string(body), `<request xmlns="urn:cisco:pnp:cli-config" correlator="ROI-006-1">`)
	assert.Contains(t, string(body), "<![CDATA[hostname CE-ENT-1102-MELB\n!\n]]>")
	got, err := Parse(body)
	require.NoError(t, err)
	require.NotNil(t, got.Request)
	assert.Equal(t, CLIConfig, got.Request.Service())
	assert.Equal(t, "ROI-006-1", got.Request.Correlator)
	assert.Equal(t, "hostname CE-ENT-1102-MELB\n!\n", got.Request.ConfigApply.Block.Block.Text)
	assert.NotNil(t, got.Request.ConfigPersist)

	bye, err := Parse(Bye(m.UDI, "ROI-006-1").Marshal())
	require.NoError(t, err)
	require.NotNil(t, bye.Info)
	assert.Equal(t, WorkInfo, bye.Info.Xmlns)
	assert.NotNil(t, bye.Info.WorkInfo.Bye)
}

func TestResponseParse(t *testing.T) {
	body := `<?xml version="1.0" encoding="UTF-8"?>
<pnp xmlns="urn:cisco:pnp" version="1.0" udi="PID:ISR4431/K9,VID:V01,SN:FDO2340567">
  <response xmlns="urn:cisco:pnp:cli-config" correlator="c-2" success="0">
    <resultEntry lineNumber="1" cliString="hostname X"><success/></resultEntry>
    <resultEntry lineNumber="2" cliString="interface Foo0"><failure><errorInfo><errorMessage>% Invalid input</errorMessage><errorSeverity>ERROR</errorSeverity></errorInfo></failure></resultEntry>
  </response>
</pnp>`
	m, err := Parse([]byte(body))
	require.NoError(t, err)
	r := m.Response
	require.NotNil(t, r)
	assert.Equal(t, CLIConfig, r.Service())
	assert.Equal(t, 0, r.Success)
	require.Len(t, r.Results, 2)
	assert.NotNil(t, r.Results[0].Success)
	require.NotNil(t, r.Results[1].Failure)
	assert.Equal(t, "% Invalid input", r.Results[1].Failure.Message)
}

func TestParseRefuses(t *testing.T) {
	for name, body := range map[string]string{
		"not xml":          "HELLO",
		"other namespace":  `<pnp xmlns="urn:other" udi="SN:X"/>`,
		"no udi":           `<pnp xmlns="urn:cisco:pnp"/>`,
		"udi without a SN": `<pnp xmlns="urn:cisco:pnp" udi="PID:X"/>`,
	} {
		t.Run(name, func(t *testing.T) {
			m, err := Parse([]byte(body))
			if err == nil {
				_, err = ParseUDI(m.UDI)
			}
			assert.ErrorIs(t, err, ErrMessage)
		})
	}
}

func TestUDI(t *testing.T) {
	u, err := ParseUDI("PID:ISR4431/K9,VID:V01,SN:FDO2340567")
	require.NoError(t, err)
	assert.Equal(t, UDI{PID: "ISR4431/K9", VID: "V01", SN: "FDO2340567"}, u)
	assert.Equal(t, "PID:ISR4431/K9,VID:V01,SN:FDO2340567", u.String())
}

func TestOption43(t *testing.T) {
	d := Discovery{Host: "10.0.0.1", Port: 9080}
	assert.Equal(t, "5A1N;B2;K4;I10.0.0.1;J9080", d.Option43())
	assert.Equal(t, "5A1N;B1;K5;Ipnp.example.net;J443", Discovery{Host: "pnp.example.net", Port: 443, HTTPS: true}.Option43())
	got, err := ParseOption43(d.Option43())
	require.NoError(t, err)
	assert.Equal(t, d, got)
	assert.Equal(t, "http://10.0.0.1:9080", got.URL())
	for _, bad := range []string{"", "6A1N;I10.0.0.1", "5A1N;B2;K4", "5A1N;K7;I1.2.3.4", "5A1N;I1.2.3.4;J0", "5A1N;B9;I1.2.3.4"} {
		_, err := ParseOption43(bad)
		assert.Error(t, err, bad)
	}
}

// FuzzParse: whatever arrives, Parse returns a message or ErrMessage, never
// a panic, and a message it returns encodes and decodes to the same UDI.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`<pnp xmlns="urn:cisco:pnp" version="1.0" udi="PID:A,VID:B,SN:C"><info xmlns="urn:cisco:pnp:work-info" correlator="x"><deviceId><udi>PID:A,VID:B,SN:C</udi></deviceId></info></pnp>`))
	f.Add([]byte(`<pnp xmlns="urn:cisco:pnp" udi="SN:C"><response success="1" correlator="c"/></pnp>`))
	f.Add([]byte(`<pnp`))
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := Parse(body)
		if err != nil {
			if !errorsIs(err) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		again, err := Parse(m.Marshal())
		if err != nil {
			t.Fatalf("a parsed message does not parse again: %v", err)
		}
		if again.UDI != m.UDI {
			t.Fatalf("udi %q became %q", m.UDI, again.UDI)
		}
	})
}

// FuzzOption43: option 43 text parses or fails, never panics, and what
// parses writes back to text that parses the same.
func FuzzOption43(f *testing.F) {
	f.Add("5A1N;B2;K4;I10.0.0.1;J80")
	f.Add("5A1D;B1;K5;Ihost;J443;T")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseOption43(s)
		if err != nil {
			return
		}
		again, err := ParseOption43(d.Option43())
		if err != nil && !containsSemicolon(d.Host) {
			t.Fatalf("%q: written back as %q does not parse: %v", s, d.Option43(), err)
		}
		if err == nil && again != d {
			t.Fatalf("%q: %+v became %+v", s, d, again)
		}
	})
}

func errorsIs(err error) bool { return errors.Is(err, ErrMessage) }

func containsSemicolon(s string) bool { return strings.Contains(s, ";") }
