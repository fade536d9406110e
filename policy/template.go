package policy

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// MissingHoleError is Template.Fill's error for a hole it was given no
// value for.
type MissingHoleError struct{ Hole string }

func (e *MissingHoleError) Error() string { return fmt.Sprintf("policy: no value for {%s}", e.Hole) }

// Template is text with {name} holes: an event's key patterns, a warm-up
// job's key and URL, a namespace's origin URL. The zero value is the empty
// text. A Template is immutable and safe for concurrent use.
type Template struct {
	raw   string
	parts []templatePart
}

type templatePart struct {
	text string
	hole bool // text names a hole
}

// ParseTemplate compiles raw: every '{' opens a hole closed by the next
// '}', and a hole has a non-empty name without braces.
func ParseTemplate(raw string) (Template, error) {
	if raw == "" {
		return Template{}, errors.New("empty template")
	}
	t := Template{raw: raw}
	for rest := raw; rest != ""; {
		open := strings.IndexAny(rest, "{}")
		if open < 0 {
			t.parts = append(t.parts, templatePart{text: rest})
			break
		}
		if rest[open] == '}' {
			return Template{}, errors.New("'}' without '{'")
		}
		if open > 0 {
			t.parts = append(t.parts, templatePart{text: rest[:open]})
		}
		end := strings.IndexAny(rest[open+1:], "{}")
		if end < 0 || rest[open+1+end] == '{' {
			return Template{}, errors.New("'{' without '}'")
		}
		name := rest[open+1 : open+1+end]
		if name == "" {
			return Template{}, errors.New("empty hole '{}'")
		}
		t.parts = append(t.parts, templatePart{text: name, hole: true})
		rest = rest[open+1+end+1:]
	}
	return t, nil
}

// String returns the template as written.
func (t Template) String() string { return t.raw }

// Holes returns the names of t's holes, in order, with repeats.
func (t Template) Holes() []string {
	var out []string
	for _, p := range t.parts {
		if p.hole {
			out = append(out, p.text)
		}
	}
	return out
}

// Fill returns t with each hole replaced by escape(value), values[hole]
// the value; escape nil leaves values as they are. A hole without a value
// is a *MissingHoleError.
func (t Template) Fill(values map[string]string, escape func(before, value string) string) (string, error) {
	var b strings.Builder
	for _, p := range t.parts {
		if !p.hole {
			b.WriteString(p.text)
			continue
		}
		v, ok := values[p.text]
		if !ok {
			return "", &MissingHoleError{Hole: p.text}
		}
		if escape != nil {
			v = escape(b.String(), v)
		}
		b.WriteString(v)
	}
	return b.String(), nil
}

// URLEscape escapes a value filled into a URL template after the text
// before it: as a query component once the URL has reached its '?', as a
// path segment before, so that a value never adds a path segment, a
// parameter or a fragment.
func URLEscape(before, value string) string {
	if strings.Contains(before, "?") {
		return url.QueryEscape(value)
	}
	return url.PathEscape(value)
}

// ParseURLTemplate compiles an HTTP(S) URL template: a Template whose
// text, with its holes filled, is an absolute http or https URL, and whose
// holes are all among allowed (nil: any).
func ParseURLTemplate(raw string, allowed []string) (Template, error) {
	t, err := ParseTemplate(raw)
	if err != nil {
		return Template{}, err
	}
	sample := map[string]string{}
	for _, h := range t.Holes() {
		if allowed != nil && !slices.Contains(allowed, h) {
			return Template{}, fmt.Errorf("unknown hole {%s}: want %s", h, holeList(allowed))
		}
		sample[h] = "x"
	}
	filled, _ := t.Fill(sample, URLEscape)
	u, err := url.Parse(filled)
	if err != nil {
		return Template{}, err
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return Template{}, fmt.Errorf("%q is not an http or https URL", raw)
	}
	return t, nil
}

// holeList words holes for an error: "{key} or {suffix}".
func holeList(holes []string) string {
	w := make([]string, len(holes))
	for i, h := range holes {
		w[i] = "{" + h + "}"
	}
	return strings.Join(w, " or ")
}
