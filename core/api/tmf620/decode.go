package tmf620

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/ordertwin/ordertwin/core/api/jsonerr"
	"github.com/ordertwin/ordertwin/core/api/tmf630"
	"github.com/ordertwin/ordertwin/core/docs"
)

// Design is a catalog resource clients create and change through the API:
// *ProductOffering, *ProductSpecification, *ProductOfferingPrice.
type Design interface {
	Base() *Entity
	Check() error
}

// ServerManaged are the attributes only the server sets: a body that
// carries one is refused rather than silently overruled.
var ServerManaged = []string{"id", "href", "lastUpdate"}

// DecodeNew reads the body of a POST into d and checks it. A design sent
// without a lifecycleStatus is In design.
func DecodeNew(body []byte, d Design) error {
	if err := screen(body, d); err != nil {
		return err
	}
	if err := unmarshal(body, d); err != nil {
		return err
	}
	if d.Base().LifecycleStatus == "" {
		d.Base().LifecycleStatus = InDesign
	}
	return d.Check()
}

// DecodePatch checks the body of a PATCH, an RFC 7386 merge patch, against
// current, the design as stored (a JSON object); d receives the design as
// it would be after the patch, which must pass Check. The patch itself is
// what the caller then applies (docs.Patch).
func DecodePatch(current map[string]any, body []byte, d Design) error {
	if err := screen(body, d); err != nil {
		return err
	}
	// Each attribute sent must be of the right kind even when the result
	// would drop it again (null inside a removed object).
	if err := unmarshal(body, reflect.New(reflect.TypeOf(d).Elem()).Interface()); err != nil {
		return err
	}
	var patch, merged map[string]any
	if err := json.Unmarshal(body, &patch); err != nil {
		return decodeError(err)
	}
	b, err := json.Marshal(current)
	if err != nil {
		return fmt.Errorf("the stored design: %w", err)
	}
	if err := json.Unmarshal(b, &merged); err != nil || merged == nil {
		return fmt.Errorf("the stored design is not a JSON object: %s", b)
	}
	docs.Merge(merged, patch)
	if b, err = json.Marshal(merged); err != nil {
		return fmt.Errorf("the patched design: %w", err)
	}
	if err := unmarshal(b, d); err != nil {
		return err
	}
	return d.Check()
}

// screen checks what encoding/json lets through: the body is one JSON
// object, every member is exactly (case included) an attribute of the
// schema, and none is server-managed.
func screen(body []byte, d Design) error {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return decodeError(err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return &FieldError{"the body", fmt.Sprintf("want an object, not %s", kindOf(v))}
	}
	for _, k := range ServerManaged {
		if _, sent := m[k]; sent {
			return &FieldError{k, "set by the server: leave it out"}
		}
	}
	return checkKeys("", m, reflect.TypeOf(d))
}

// checkKeys refuses a member of v that is not an attribute of t, walking
// objects and arrays; values of the wrong kind are left to the decoder.
func checkKeys(path string, v any, t reflect.Type) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		fields := attributes(t)
		for _, k := range slices.Sorted(maps.Keys(m)) {
			ft, ok := fields[k]
			if !ok {
				return &FieldError{join(path, k), "not an attribute of " + schemaName(path, t)}
			}
			if err := checkKeys(join(path, k), m[k], ft); err != nil {
				return err
			}
		}
	case reflect.Slice:
		a, ok := v.([]any)
		if !ok {
			return nil
		}
		for i, e := range a {
			if err := checkKeys(indexed(path, i), e, t.Elem()); err != nil {
				return err
			}
		}
	}
	return nil
}

// attributes maps the JSON names of a struct's fields, those of embedded
// structs included, to their types.
func attributes(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if f.Anonymous && tag == "" {
			maps.Copy(out, attributes(f.Type))
			continue
		}
		name, ok := tmf630.JSONName(f)
		if !ok {
			continue
		}
		out[name] = f.Type
	}
	return out
}

func schemaName(path string, t reflect.Type) string {
	if path == "" {
		return t.Name()
	}
	return path + " (" + t.Name() + ")"
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func unmarshal(b []byte, d any) error {
	if err := json.Unmarshal(b, d); err != nil {
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) {
			typ.Field = jsonPath(reflect.TypeOf(d), typ.Field)
		}
		return decodeError(err)
	}
	return nil
}

// jsonPath turns the path encoding/json reports (Go names of embedded
// structs included: productSpecification.EntityRef.id) into the
// attribute's path (productSpecification.id).
func jsonPath(t reflect.Type, path string) string {
	var out []string
	for seg := range strings.SplitSeq(path, ".") {
		for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice) {
			t = t.Elem()
		}
		if t != nil && t.Kind() == reflect.Struct {
			if f, ok := t.FieldByName(seg); ok && f.Anonymous {
				t = f.Type
				continue
			}
			t = attributes(t)[seg]
		} else {
			t = nil
		}
		out = append(out, seg)
	}
	return strings.Join(out, ".")
}

// decodeError names the attribute of a decoding error and the JSON kind
// it wants.
func decodeError(err error) error {
	field, msg := jsonerr.Describe(err)
	return &FieldError{field, msg}
}

// kindOf names the JSON kind of a decoded value.
func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "true or false"
	case float64:
		return "a number"
	}
	return fmt.Sprintf("%T", v)
}
