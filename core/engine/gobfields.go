package engine

import "errors"

// A state in runs (AppendState) says the length of each of its struct's
// fields by position: the fields of the struct as the build that saved it
// declared them. A later build whose struct has another field (a state
// that grew) reads them by name instead: the names are those of the
// struct's description at the head of the gob stream, which encoding/gob
// writes before the first value of a type (its wireType), with every
// exported field in order. gobStructFields reads them.

// gobStructFields returns the names of the fields of the struct whose
// value is the first in the gob stream b, as its description there gives
// them, in order; ok is false when b does not begin so (a stream cut
// short, or a value that is no struct).
func gobStructFields(b []byte) (names []string, ok bool) {
	structs := map[int64][]string{}
	for len(b) > 0 {
		n, rest, err := gobUint(b)
		if err != nil || n == 0 || n > uint64(len(rest)) {
			return nil, false
		}
		msg := rest[:n]
		b = rest[n:]
		id, msg, err := gobInt(msg)
		if err != nil {
			return nil, false
		}
		if id >= 0 { // the first value: of the struct that id names
			names, ok := structs[id]
			return names, ok
		}
		if fields, isStruct, err := wireStruct(msg); err != nil {
			return nil, false
		} else if isStruct {
			structs[-id] = fields
		}
	}
	return nil, false
}

// errGob is a type description that cannot be read.
var errGob = errors.New("gob: a type description cut short")

// wireStruct reads a type description (encoding/gob's wireType): the
// names of its fields when it describes a struct (its field 3, StructT:
// a CommonType, then the fields, each a name and a type id).
func wireStruct(b []byte) (names []string, isStruct bool, err error) {
	delta, b, err := gobUint(b)
	if err != nil || delta != 3 {
		return nil, false, err // an array, a slice, a map or an encoder: not a struct
	}
	// structType: field 1 CommonType, field 2 Field.
	for field := uint64(0); ; {
		var d uint64
		if d, b, err = gobUint(b); err != nil {
			return nil, false, err
		}
		if d == 0 {
			return names, true, nil
		}
		field += d
		switch field {
		case 1: // CommonType{Name string, Id int}
			if b, err = skipStruct(b); err != nil {
				return nil, false, err
			}
		case 2: // Field []*fieldType{Name string, Id int}
			var count uint64
			if count, b, err = gobUint(b); err != nil {
				return nil, false, err
			}
			for range count {
				var name string
				if name, b, err = fieldType(b); err != nil {
					return nil, false, err
				}
				names = append(names, name)
			}
		default:
			return nil, false, errGob
		}
	}
}

// fieldType reads a fieldType{Name string, Id int}: its name.
func fieldType(b []byte) (name string, rest []byte, err error) {
	for field := uint64(0); ; {
		var d uint64
		if d, b, err = gobUint(b); err != nil {
			return "", nil, err
		}
		if d == 0 {
			return name, b, nil
		}
		switch field += d; field {
		case 1:
			var n uint64
			if n, b, err = gobUint(b); err != nil || n > uint64(len(b)) {
				return "", nil, errGob
			}
			name, b = string(b[:n]), b[n:]
		case 2:
			if _, b, err = gobInt(b); err != nil {
				return "", nil, err
			}
		default:
			return "", nil, errGob
		}
	}
}

// skipStruct reads past a CommonType{Name string, Id int}.
func skipStruct(b []byte) ([]byte, error) {
	_, rest, err := fieldType(b)
	return rest, err
}

// gobUint reads an unsigned integer as encoding/gob writes it: under 128
// a byte; else the count of its bytes, negated, then them, big-endian.
func gobUint(b []byte) (uint64, []byte, error) {
	if len(b) == 0 {
		return 0, nil, errGob
	}
	if b[0] < 0x80 {
		return uint64(b[0]), b[1:], nil
	}
	n := int(-int8(b[0]))
	if n > 8 || n >= len(b) {
		return 0, nil, errGob
	}
	var x uint64
	for _, c := range b[1 : 1+n] {
		x = x<<8 | uint64(c)
	}
	return x, b[1+n:], nil
}

// gobInt reads a signed integer as encoding/gob writes it: an unsigned
// one whose lowest bit is the sign, the rest the value (complemented
// when negative).
func gobInt(b []byte) (int64, []byte, error) {
	u, rest, err := gobUint(b)
	if err != nil {
		return 0, nil, err
	}
	if u&1 != 0 {
		return ^int64(u >> 1), rest, nil
	}
	return int64(u >> 1), rest, nil
}
