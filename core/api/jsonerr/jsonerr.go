// Package jsonerr says what is wrong with a JSON body that did not decode,
// naming the field, in the words every TMF API of ordertwin answers with.
package jsonerr

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
)

// Describe returns the field a decoding error is about ("the body" when
// it is about the whole) and what is wrong with it: the JSON kind wanted
// ("want an array, not string"), or where the JSON is malformed.
func Describe(err error) (field, message string) {
	var typ *json.UnmarshalTypeError
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &typ):
		field = typ.Field
		if field == "" {
			field = "the body"
		}
		return field, fmt.Sprintf("want %s, not %s", Kind(typ.Type), typ.Value)
	case errors.As(err, &syn):
		return "the body", fmt.Sprintf("malformed JSON at byte %d: %v", syn.Offset, err)
	}
	return "the body", "malformed JSON: " + err.Error()
}

// Kind names the JSON kind a Go type decodes from.
func Kind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Pointer:
		return Kind(t.Elem())
	}
	return t.String()
}
