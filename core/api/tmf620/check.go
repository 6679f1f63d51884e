package tmf620

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// FieldError is a design refused: the attribute (a dotted path, with
// indexes into arrays) and what is wrong with it.
type FieldError struct {
	Field   string
	Problem string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Problem }

// check applies the rules every catalog entity follows: a name, a known
// lifecycle status, a valid period.
func (e *Entity) check() error {
	switch {
	case strings.TrimSpace(e.Name) == "":
		return &FieldError{"name", "required"}
	case e.LifecycleStatus == "":
		return &FieldError{"lifecycleStatus", "required: one of " + quoted(LifecycleStatuses)}
	case !slices.Contains(LifecycleStatuses, e.LifecycleStatus):
		return &FieldError{"lifecycleStatus", fmt.Sprintf("%q is not one of %s", e.LifecycleStatus, quoted(LifecycleStatuses))}
	}
	return checkPeriod("validFor", e.ValidFor)
}

// checkPeriod checks that both ends, when given, are RFC 3339 date-times
// in order.
func checkPeriod(path string, p *TimePeriod) error {
	if p == nil {
		return nil
	}
	var ends [2]time.Time
	for i, v := range []string{p.StartDateTime, p.EndDateTime} {
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			name := [2]string{"startDateTime", "endDateTime"}[i]
			return &FieldError{path + "." + name, fmt.Sprintf("%q is not an RFC 3339 date-time", v)}
		}
		ends[i] = t
	}
	if !ends[0].IsZero() && !ends[1].IsZero() && ends[1].Before(ends[0]) {
		return &FieldError{path, "endDateTime is before startDateTime"}
	}
	return nil
}

func checkRef(path string, r *EntityRef) error {
	if r != nil && r.ID == "" {
		return &FieldError{path + ".id", "required"}
	}
	return nil
}

func checkSpecRef(path string, r *ProductSpecificationRef) error {
	if r == nil {
		return nil
	}
	return checkRef(path, &r.EntityRef)
}

func checkRefs(path string, refs []EntityRef) error {
	for i := range refs {
		if err := checkRef(indexed(path, i), &refs[i]); err != nil {
			return err
		}
	}
	return nil
}

func checkBundled(path string, refs []BundledRef) error {
	for i, r := range refs {
		if r.ID == "" {
			return &FieldError{indexed(path, i) + ".id", "required"}
		}
		if r.LifecycleStatus != "" && !slices.Contains(LifecycleStatuses, r.LifecycleStatus) {
			return &FieldError{indexed(path, i) + ".lifecycleStatus", fmt.Sprintf("%q is not one of %s", r.LifecycleStatus, quoted(LifecycleStatuses))}
		}
	}
	return nil
}

func checkTerms(terms []ProductOfferingTerm) error {
	for i, t := range terms {
		path := indexed("productOfferingTerm", i)
		if t.Duration != nil && t.Duration.Amount != nil && *t.Duration.Amount <= 0 {
			return &FieldError{path + ".duration.amount", "must be positive"}
		}
		if err := checkPeriod(path+".validFor", t.ValidFor); err != nil {
			return err
		}
	}
	return nil
}

func checkValueUses(uses []CharacteristicValueUse) error {
	for i, u := range uses {
		path := indexed("prodSpecCharValueUse", i)
		if u.Name == "" {
			return &FieldError{path + ".name", "required"}
		}
		if err := firstError(checkCardinality(path, u.MinCardinality, u.MaxCardinality),
			checkSpecRef(path+".productSpecification", u.ProductSpecification),
			checkPeriod(path+".validFor", u.ValidFor)); err != nil {
			return err
		}
	}
	return nil
}

func checkCardinality(path string, lo, hi *int) error {
	switch {
	case lo != nil && *lo < 0:
		return &FieldError{path + ".minCardinality", "must not be negative"}
	case hi != nil && *hi < 0:
		return &FieldError{path + ".maxCardinality", "must not be negative"}
	case lo != nil && hi != nil && *hi < *lo:
		return &FieldError{path + ".maxCardinality", "is less than minCardinality"}
	}
	return nil
}

func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func indexed(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// quoted lists values as "a", "b" or "c".
func quoted(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = fmt.Sprintf("%q", v)
	}
	if len(q) < 2 {
		return strings.Join(q, "")
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}
