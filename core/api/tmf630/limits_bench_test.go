package tmf630

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// BenchmarkCheckJSON: the cost of holding the worked example's order body
// to the limits, which every POST pays.
func BenchmarkCheckJSON(b *testing.B) {
	body, err := os.ReadFile("../../../docs/examples/order.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if e := CheckJSON(body); e != nil {
			b.Fatal(e)
		}
	}
}

// FuzzCheckJSON: any body is taken or refused, never a panic, and a valid
// JSON document nested deeper than MaxDepth is always refused.
func FuzzCheckJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":[1,2,{"b":"\u0000"}]}`, `"\ud83d\ude00"`, `{"id":"\u202e"}`, `[[[[`, `{"a":"\`,
		`{"name":"x\"y\\z\/\b\f\n\r\t"}`, `[1,true,null,-2.5e3]`, strings.Repeat("[", 40) + strings.Repeat("]", 40)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		e := CheckJSON(body)
		if !json.Valid(body) {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		depth, deepest := 0, 0
		for {
			tok, err := dec.Token()
			if err != nil {
				break
			}
			switch tok {
			case json.Delim('{'), json.Delim('['):
				depth++
				deepest = max(deepest, depth)
			case json.Delim('}'), json.Delim(']'):
				depth--
			}
		}
		if deepest > MaxDepth && e == nil {
			t.Fatalf("nested %d deep, taken", deepest)
		}
	})
}
