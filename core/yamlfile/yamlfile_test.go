package yamlfile

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

type wave struct {
	Name   string `yaml:"name"`
	Target string `yaml:"target"`
}

type quote struct {
	SLA   string  `yaml:"sla"`
	Term  int     `yaml:"term"`
	Price float64 `yaml:"price"`
	Waves []wave  `yaml:"waves"`
}

type common struct {
	Note string `yaml:"note"`
}

type custom struct{ got string }

func (c *custom) UnmarshalYAML(n *yaml.Node) error { c.got = n.Value + n.Tag; return nil }

type file struct {
	Version int               `yaml:"version"`
	Quote   quote             `yaml:"quote"`
	Counts  map[string]int    `yaml:"counts"`
	Every   time.Duration     `yaml:"every"`
	On      bool              `yaml:"on"`
	Own     custom            `yaml:"own"`
	Extra   map[string]string `yaml:"extra"`
	Common  common            `yaml:",inline"`
	Ignored string            `yaml:"-"`
}

func decode(t *testing.T, text string) (file, error) {
	t.Helper()
	var f file
	err := Decode([]byte(text), &f)
	return f, err
}

func TestDecodeWellFormed(t *testing.T) {
	f, err := decode(t, `version: 1
note: inline
quote:
  sla: Gold
  term: 36
  price: 1_800.5
  waves: [{name: Pilot, target: P14D}]
counts: {a: 1}
every: 90s
on: yes
own: {anything: goes}
`)
	require.NoError(t, err)
	assert.Equal(t, "Gold", f.Quote.SLA)
	assert.Equal(t, 1800.5, f.Quote.Price)
	assert.Equal(t, "Pilot", f.Quote.Waves[0].Name)
	assert.Equal(t, 90*time.Second, f.Every)
	assert.True(t, f.On)
	assert.Equal(t, "inline", f.Common.Note)
	assert.Equal(t, "!!map", f.Own.got)
}

func TestDecodeEmpty(t *testing.T) {
	for _, text := range []string{"", "  \n\n", "# only a comment\n"} {
		_, err := decode(t, text)
		assert.ErrorIs(t, err, ErrEmpty, "%q", text)
	}
}

func TestDecodeNotText(t *testing.T) {
	_, err := decode(t, "version: 1\nquote:\n  sla: \x89PNG\x00\x01")
	require.EqualError(t, err, "line 3, column 8: byte 0x89 is not UTF-8 text: this is not a YAML file")
	_, err = decode(t, "version: 1\x00")
	require.EqualError(t, err, "line 1, column 11: control character U+0000: this is not a YAML file")
}

func TestDecodeSyntaxNamesTheBreakingLine(t *testing.T) {
	for text, want := range map[string]string{
		"version: 1\nquote:\n  sla: Gold\n  waves:\n  - name: a\n   target: x\n": "line 6: did not find expected key: target: x",
		"version: 1\nquote:\n  sla: Gold\n    term: 3\n":                         "line 4: mapping values are not allowed in this context: term: 3",
		"version: 1\nquote: {sla: x\n":                                           "line 2: did not find expected ',' or '}': quote: {sla: x",
		"version: 1\nquote:\n\tsla: Gold\n":                                      "line 3: indented with a tab (YAML indents with spaces): sla: Gold",
	} {
		_, err := decode(t, text)
		assert.EqualError(t, err, want, "%q", text)
	}
}

func TestDecodeUnknownKeys(t *testing.T) {
	f, err := decode(t, `version: 1
quote:
  slaa: Gold
  waves:
  - name: Pilot
    targt: P14D
colour: blue
`)
	var unknown *UnknownKeys
	require.ErrorAs(t, err, &unknown)
	assert.Len(t, unknown.Errs, 3)
	assert.Equal(t, `line 3: quote: unknown key "slaa" (did you mean "sla"?) (the keys here: sla, term, price, waves)
line 6: quote.waves[0]: unknown key "targt" (did you mean "target"?) (the keys here: name, target)
line 7: top level: unknown key "colour" (the keys here: version, quote, counts, every, on, own, extra, note)`, err.Error())
	assert.Equal(t, 1, f.Version, "the rest is decoded, for the caller to check")
	assert.Equal(t, "Pilot", f.Quote.Waves[0].Name)
}

func TestDecodeWrongShapes(t *testing.T) {
	_, err := decode(t, `quote:
  term: thirty-six
  price: cheap
  waves: Pilot
counts: [1, 2]
every: soon
on: maybe
version: {one: 1}
`)
	require.Error(t, err)
	assert.Equal(t, `line 2: quote.term: "thirty-six" is not a whole number
line 3: quote.price: "cheap" is not a number
line 4: quote.waves: want a list, not the value "Pilot"
line 5: counts: want a mapping, not a list
line 6: every: "soon" is not a duration such as 90s or 5m
line 7: on: "maybe" is not true or false
line 8: version: want a whole number, not a mapping`, err.Error())
}

// A number or a flag in quotes is text: the decoder refused it naming
// neither its key nor why ("60" is not a valid value here). Text that is
// a duration stays one (every: "90s").
func TestDecodeQuotedNumbers(t *testing.T) {
	_, err := decode(t, "version: \"1\"\nquote:\n  term: '36'\n  price: \"1800.5\"\non: \"true\"\n")
	require.Error(t, err)
	assert.Equal(t, `line 1: version: "1" is text, in quotes: want a whole number, without them
line 3: quote.term: "36" is text, in quotes: want a whole number, without them
line 4: quote.price: "1800.5" is text, in quotes: want a number, without them
line 5: on: "true" is text, in quotes: want true or false, without them`, err.Error())
	f, err := decode(t, "version: 1\nevery: \"90s\"\n")
	require.NoError(t, err)
	assert.Equal(t, 90*time.Second, f.Every)
}

func TestDecodeOneDocument(t *testing.T) {
	_, err := decode(t, "version: 1\n---\nversion: 2\n")
	require.EqualError(t, err, "line 2: a second YAML document: the file holds one")
}

func TestDecodeAliases(t *testing.T) {
	f, err := decode(t, "quote:\n  waves:\n  - &p {name: Pilot}\n  - *p\n")
	require.NoError(t, err)
	assert.Len(t, f.Quote.Waves, 2)
	_, err = decode(t, "quote:\n  waves:\n  - &p {nam: Pilot}\n  - *p\n")
	require.True(t, err != nil && !errors.Is(err, ErrEmpty))
	assert.Contains(t, err.Error(), `line 3: quote.waves[0]: unknown key "nam" (did you mean "name"?)`)
}

// Any bytes give a value or an error, never a panic.
func FuzzDecode(f *testing.F) {
	f.Add([]byte("version: 1\nquote: {sla: Gold, waves: [{name: Pilot}]}\n"))
	f.Add([]byte("quote:\n  waves:\n  - &p {nam: Pilot}\n  - *p\n"))
	f.Add([]byte("version: 1\n---\nversion: 2\n"))
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var v file
		if err := Decode(data, &v); err != nil {
			assert.NotEmpty(t, err.Error())
		}
	})
}
