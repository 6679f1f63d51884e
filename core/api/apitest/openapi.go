package apitest

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Spec is a TMF Open API v4 document (Swagger 2.0) of third_party/tmf,
// enough of it to validate a response: its paths, their operations'
// responses, and the definitions their schemas name.
type Spec struct {
	Name        string
	BasePath    string                   `json:"basePath"`
	Paths       map[string]map[string]op `json:"paths"`
	Definitions map[string]*Schema       `json:"definitions"`
	templates   []pathTemplate
}

type op struct {
	Responses map[string]struct {
		Schema *Schema `json:"schema"`
	} `json:"responses"`
}

// Schema is a Swagger 2.0 schema object, the keywords TMF's documents use.
type Schema struct {
	Ref        string             `json:"$ref"`
	Type       string             `json:"type"`
	Format     string             `json:"format"`
	Required   []string           `json:"required"`
	Properties map[string]*Schema `json:"properties"`
	Items      *Schema            `json:"items"`
	AllOf      []*Schema          `json:"allOf"`
	Enum       []any              `json:"enum"`
}

type pathTemplate struct {
	template string
	parts    []string
}

// LoadSpec reads the v4 document named (such as
// "TMF622-ProductOrdering-v4.0.0") from the repository's third_party/tmf.
func LoadSpec(name string) (*Spec, error) {
	_, here, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(here), "..", "..", "..", "third_party", "tmf", name+".swagger.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s := &Spec{Name: name}
	if err := json.Unmarshal(data, s); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	s.BasePath = strings.TrimSuffix(s.BasePath, "/")
	for t := range s.Paths {
		s.templates = append(s.templates, pathTemplate{t, strings.Split(strings.Trim(t, "/"), "/")})
	}
	sort.Slice(s.templates, func(i, j int) bool { return s.templates[i].template < s.templates[j].template })
	return s, nil
}

// Covers says whether path (with its query, if any) is under the
// document's base path.
func (s *Spec) Covers(path string) bool {
	path, _, _ = strings.Cut(path, "?")
	return path == s.BasePath || strings.HasPrefix(path, s.BasePath+"/")
}

// Validate checks a response of the API — its method, path, status and
// body — against the document: the operation must declare the status, and
// the body must match the schema it gives, a list of them for a list.
// Each fault is named with where in the body it is.
func (s *Spec) Validate(method, path string, status int, body []byte) []string {
	path, _, _ = strings.Cut(path, "?")
	rel := strings.TrimPrefix(path, s.BasePath)
	t, ok := s.template(rel)
	if !ok {
		return []string{fmt.Sprintf("%s %s: no path of %s matches", method, path, s.Name)}
	}
	o, ok := s.Paths[t][strings.ToLower(method)]
	if !ok {
		return []string{fmt.Sprintf("%s %s: %s has no %s on %s", method, path, s.Name, method, t)}
	}
	r, ok := o.Responses[strconv.Itoa(status)]
	if !ok {
		return []string{fmt.Sprintf("%s %s: %s declares no %d response for %s %s", method, path, s.Name, status, method, t)}
	}
	if r.Schema == nil {
		if len(strings.TrimSpace(string(body))) > 0 {
			return []string{fmt.Sprintf("%s %s %d: a body where %s declares none", method, path, status, s.Name)}
		}
		return nil
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return []string{fmt.Sprintf("%s %s %d: the body is not JSON: %v", method, path, status, err)}
	}
	var faults []string
	s.check(r.Schema, v, "$", &faults)
	for i := range faults {
		faults[i] = fmt.Sprintf("%s %s %d: %s", method, path, status, faults[i])
	}
	return faults
}

func (s *Spec) template(rel string) (string, bool) {
	parts := strings.Split(strings.Trim(rel, "/"), "/")
	for _, t := range s.templates {
		if len(t.parts) != len(parts) {
			continue
		}
		match := true
		for i, p := range t.parts {
			if !strings.HasPrefix(p, "{") && p != parts[i] {
				match = false
				break
			}
		}
		if match {
			return t.template, true
		}
	}
	return "", false
}

// check validates v against schema at where, appending each fault.
func (s *Spec) check(schema *Schema, v any, where string, faults *[]string) {
	bad := func(format string, args ...any) {
		*faults = append(*faults, where+": "+fmt.Sprintf(format, args...))
	}
	for schema.Ref != "" {
		name := strings.TrimPrefix(schema.Ref, "#/definitions/")
		def, ok := s.Definitions[name]
		if !ok {
			bad("the schema names %s, which the document does not define", schema.Ref)
			return
		}
		schema = def
	}
	for _, part := range schema.AllOf {
		s.check(part, v, where, faults)
	}
	if v == nil {
		bad("null, where the document wants %s", schema.want())
		return
	}
	if len(schema.Enum) > 0 && !slices.Contains(schema.Enum, v) {
		bad("%v is not one of %v", v, schema.Enum)
	}
	switch schema.Type {
	case "", "object":
		m, ok := v.(map[string]any)
		if !ok {
			if schema.Type == "object" || len(schema.Properties) > 0 {
				bad("%s, where the document wants an object", kindOf(v))
			}
			return
		}
		for _, name := range schema.Required {
			if _, ok := m[name]; !ok {
				bad("the mandatory %q is missing", name)
			}
		}
		names := make([]string, 0, len(m))
		for name := range m {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			if p, ok := schema.Properties[name]; ok {
				s.check(p, m[name], where+"."+name, faults)
			}
		}
	case "array":
		list, ok := v.([]any)
		if !ok {
			bad("%s, where the document wants an array", kindOf(v))
			return
		}
		if schema.Items != nil {
			for i, item := range list {
				s.check(schema.Items, item, fmt.Sprintf("%s[%d]", where, i), faults)
			}
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			bad("%s, where the document wants a string", kindOf(v))
			return
		}
		if schema.Format == "date-time" {
			if _, err := time.Parse(time.RFC3339Nano, str); err != nil {
				bad("%q is not a date-time (RFC 3339)", str)
			}
		}
	case "integer":
		n, ok := v.(float64)
		if !ok || n != math.Trunc(n) {
			bad("%s, where the document wants an integer", kindOf(v))
		}
	case "number":
		if _, ok := v.(float64); !ok {
			bad("%s, where the document wants a number", kindOf(v))
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			bad("%s, where the document wants a boolean", kindOf(v))
		}
	}
}

func (s *Schema) want() string {
	if s.Type == "" {
		return "a value"
	}
	return "a " + s.Type
}

func kindOf(v any) string {
	switch v := v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return fmt.Sprintf("the string %q", v)
	case float64:
		return fmt.Sprintf("the number %v", v)
	case bool:
		return fmt.Sprintf("the boolean %v", v)
	}
	return fmt.Sprintf("%v", v)
}
