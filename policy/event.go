package policy

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Errors of events: ParseEvents wraps ErrEventTemplate with the event and
// template at fault; Expand returns ErrUnknownEvent and *MissingFieldError.
var (
	ErrEventTemplate = errors.New("policy: invalid event template")
	ErrUnknownEvent  = errors.New("policy: unknown event")
	ErrMissingField  = errors.New("policy: missing event field")
)

// MissingFieldError says which field an event needs and was not given. It
// matches ErrMissingField with errors.Is.
type MissingFieldError struct {
	Event, Field string
}

func (e *MissingFieldError) Error() string {
	return fmt.Sprintf("policy: event %q needs field %q", e.Event, e.Field)
}

// Is makes a MissingFieldError match ErrMissingField.
func (e *MissingFieldError) Is(target error) bool { return target == ErrMissingField }

// Events maps event names to key templates, for CACHE.INVALIDATE EVENT. A
// template is a glob pattern with {field} holes: the event's arguments fill
// the holes, escaped so that a value always matches itself literally, and
// the filled patterns name the keys the event invalidates. The zero value
// has no events. An Events is immutable and safe for concurrent use.
type Events struct {
	byName map[string][]Template
}

// ParseEvents checks and compiles event definitions: each name maps to one
// or more templates (see ParseTemplate).
func ParseEvents(defs map[string][]string) (Events, error) {
	ev := Events{byName: make(map[string][]Template, len(defs))}
	for name, raws := range defs {
		if name == "" {
			return Events{}, fmt.Errorf("%w: an event has an empty name", ErrEventTemplate)
		}
		if len(raws) == 0 {
			return Events{}, fmt.Errorf("%w: event %q has no templates", ErrEventTemplate, name)
		}
		for _, raw := range raws {
			t, err := ParseTemplate(raw)
			if err == nil {
				err = checkEventTemplate(t)
			}
			if err != nil {
				return Events{}, fmt.Errorf("%w: event %q, template %q: %s", ErrEventTemplate, name, raw, err)
			}
			ev.byName[name] = append(ev.byName[name], t)
		}
	}
	return ev, nil
}

// checkEventTemplate refuses an event template that starts with a glob,
// with no literal prefix: it would scan and could empty the whole keyspace
// on every event, which CACHE.INVALIDATE PATTERN allows only with FORCE.
// A template starting with a hole has the field's value as its prefix.
func checkEventTemplate(t Template) error {
	if first := t.parts[0]; !first.hole {
		if lit, _ := Literal(first.text); lit == "" {
			return errors.New("it has no literal prefix, so it would match every key: start it with the keys' prefix (\"product:*\"), or use CACHE.INVALIDATE PATTERN ... FORCE to empty the keyspace")
		}
	}
	return nil
}

// Has reports whether an event is defined.
func (e Events) Has(name string) bool {
	_, ok := e.byName[name]
	return ok
}

// Len returns the number of events.
func (e Events) Len() int { return len(e.byName) }

// Expand returns the glob patterns event name invalidates, its templates
// filled from fields. An unknown event is ErrUnknownEvent; a hole with no
// field is a *MissingFieldError, never a wildcard. Fields no template uses
// are ignored, so callers may pass one record's fields to any event.
func (e Events) Expand(name string, fields map[string]string) ([]string, error) {
	ts, ok := e.byName[name]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownEvent, name)
	}
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		p, err := t.Fill(fields, globEscape)
		var missing *MissingHoleError
		if errors.As(err, &missing) {
			return nil, &MissingFieldError{Event: name, Field: missing.Hole}
		}
		out = append(out, p)
	}
	return out, nil
}

// globEscape escapes glob's special characters in a field's value.
func globEscape(_, v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// Prefixes returns the literal key prefixes the templates start with (the
// text before their first hole or glob character), without duplicates and
// without those another one covers. Keys under them are the ones an
// ordered index must hold for EVENT invalidations to avoid a keyspace scan;
// a template that starts with a hole or a wildcard contributes nothing.
func (e Events) Prefixes() []string {
	var all []string
	for _, ts := range e.byName {
		for _, t := range ts {
			if t.parts[0].hole {
				continue
			}
			if p, _ := Literal(t.parts[0].text); p != "" {
				all = append(all, p)
			}
		}
	}
	return MinimalPrefixes(all)
}

// MinimalPrefixes returns the prefixes of ps that no other one of ps is a
// prefix of, sorted, without empty strings: the smallest set that covers
// the same keys.
func MinimalPrefixes(ps []string) []string {
	sorted := slices.Clone(ps)
	slices.Sort(sorted)
	var out []string
	for _, p := range sorted {
		if p == "" {
			continue
		}
		// Sorted order puts a prefix right before the strings it covers.
		if len(out) > 0 && strings.HasPrefix(p, out[len(out)-1]) {
			continue
		}
		out = append(out, p)
	}
	return out
}
