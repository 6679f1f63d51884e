// Package radius is the RADIUS wire code shared by the BNG adapter and the
// twin's Dynamic Authorization Server (RFC 5176): the attributes they use,
// named by an embedded dictionary in FreeRADIUS's format; packets built from
// and read into named attributes; the Message-Authenticator (RFC 3579 §3.2,
// RFC 5176 §3.1) on requests and answers; and the text form of an attribute
// list, which is radclient's input format.
package radius

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"
)

//go:embed dictionary
var dictionaryText string

// Dictionary is the embedded dictionary's text, as FreeRADIUS reads it.
func Dictionary() string { return dictionaryText }

// kind is how an attribute's value is encoded.
type kind string

const (
	kindString  kind = "string"
	kindInteger kind = "integer"
	kindIPAddr  kind = "ipaddr"
	kindOctets  kind = "octets"
)

// attrDef is one attribute of the dictionary: a standard one (vendor 0)
// or a vendor's, carried in Vendor-Specific (26).
type attrDef struct {
	name   string
	vendor uint32
	typ    byte
	kind   kind
	values map[uint32]string
	byName map[string]uint32
}

type dictionary struct {
	byName map[string]*attrDef
	byType map[[2]uint32]*attrDef // vendor, type
}

var dict = mustParse(dictionaryText)

func mustParse(text string) *dictionary {
	d, err := parseDictionary(text)
	if err != nil {
		panic(fmt.Sprintf("core/radius: embedded dictionary: %v", err))
	}
	return d
}

// parseDictionary reads the ATTRIBUTE, VALUE, VENDOR and BEGIN-/END-VENDOR
// lines of a FreeRADIUS dictionary.
func parseDictionary(text string) (*dictionary, error) {
	d := &dictionary{byName: map[string]*attrDef{}, byType: map[[2]uint32]*attrDef{}}
	vendors := map[string]uint32{}
	var vendor uint32
	for i, line := range strings.Split(text, "\n") {
		line, _, _ = strings.Cut(line, "#")
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		bad := func(why string) error { return fmt.Errorf("line %d %q: %s", i+1, strings.TrimSpace(line), why) }
		switch {
		case f[0] == "VENDOR" && len(f) == 3:
			n, err := strconv.ParseUint(f[2], 10, 32)
			if err != nil {
				return nil, bad("vendor id is not a number")
			}
			vendors[f[1]] = uint32(n)
		case f[0] == "BEGIN-VENDOR" && len(f) == 2:
			v, ok := vendors[f[1]]
			if !ok {
				return nil, bad("unknown vendor")
			}
			vendor = v
		case f[0] == "END-VENDOR":
			vendor = 0
		case f[0] == "ATTRIBUTE" && len(f) == 4:
			n, err := strconv.ParseUint(f[2], 10, 8)
			if err != nil || n == 0 {
				return nil, bad("attribute type is not 1-255")
			}
			k := kind(f[3])
			switch k {
			case kindString, kindInteger, kindIPAddr, kindOctets:
			default:
				return nil, bad("unsupported attribute kind")
			}
			a := &attrDef{name: f[1], vendor: vendor, typ: byte(n), kind: k, values: map[uint32]string{}, byName: map[string]uint32{}}
			d.byName[a.name] = a
			d.byType[[2]uint32{vendor, uint32(n)}] = a
		case f[0] == "VALUE" && len(f) == 4:
			a, ok := d.byName[f[1]]
			if !ok || a.kind != kindInteger {
				return nil, bad("VALUE of an unknown or non-integer attribute")
			}
			n, err := strconv.ParseUint(f[3], 10, 32)
			if err != nil {
				return nil, bad("value is not a number")
			}
			a.values[uint32(n)] = f[2]
			a.byName[f[2]] = uint32(n)
		default:
			return nil, bad("not a dictionary line")
		}
	}
	return d, nil
}
