package policy

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseEventsErrors(t *testing.T) {
	tests := []struct {
		name string
		defs map[string][]string
	}{
		{"empty name", map[string][]string{"": {"a:*"}}},
		{"no templates", map[string][]string{"e": {}}},
		{"empty template", map[string][]string{"e": {""}}},
		{"unclosed hole", map[string][]string{"e": {"a:{id"}}},
		{"nested hole", map[string][]string{"e": {"a:{i{d}}"}}},
		{"stray close", map[string][]string{"e": {"a:id}"}}},
		{"empty hole", map[string][]string{"e": {"a:{}"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseEvents(tt.defs); !errors.Is(err, ErrEventTemplate) {
				t.Fatalf("ParseEvents(%v) = %v, want ErrEventTemplate", tt.defs, err)
			}
		})
	}
}

func TestEventsExpand(t *testing.T) {
	ev, err := ParseEvents(map[string][]string{
		"product_updated": {"product:{product_id}:*", "inventory:*:{product_id}:*", "product:list:*"},
		"pair":            {"{a}-{b}"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		event  string
		fields map[string]string
		want   []string
	}{
		{"filled", "product_updated", map[string]string{"product_id": "42"},
			[]string{"product:42:*", "inventory:*:42:*", "product:list:*"}},
		{"extra fields ignored", "product_updated", map[string]string{"product_id": "7", "other": "x"},
			[]string{"product:7:*", "inventory:*:7:*", "product:list:*"}},
		{"glob characters escaped", "pair", map[string]string{"a": "*", "b": "[x]?\\"},
			[]string{`\*-\[x\]\?\\`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ev.Expand(tt.event, tt.fields)
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("Expand = %q, %v; want %q", got, err, tt.want)
			}
		})
	}

	if _, err := ev.Expand("nope", nil); !errors.Is(err, ErrUnknownEvent) {
		t.Errorf("unknown event: %v", err)
	}
	_, err = ev.Expand("pair", map[string]string{"a": "1"})
	var missing *MissingFieldError
	if !errors.As(err, &missing) || !errors.Is(err, ErrMissingField) || missing.Field != "b" || missing.Event != "pair" {
		t.Errorf("missing field: %v", err)
	}
}

func TestEventsPrefixes(t *testing.T) {
	ev, err := ParseEvents(map[string][]string{
		"a": {"product:{id}:*", "product:list:*", "inventory:*:{id}"},
		"b": {"{id}:x", "user:?:z", "exact"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"exact", "inventory:", "product:", "user:"}
	if got := ev.Prefixes(); !slices.Equal(got, want) {
		t.Fatalf("Prefixes = %q, want %q", got, want)
	}
}

func TestMinimalPrefixes(t *testing.T) {
	got := MinimalPrefixes([]string{"a:b:", "", "a:", "a;", "b", "a:", "ab"})
	want := []string{"a:", "a;", "ab", "b"}
	if !slices.Equal(got, want) {
		t.Fatalf("MinimalPrefixes = %q, want %q", got, want)
	}
}

// TestEventsRefuseMatchAll: a template with no literal prefix would match
// every key on every event; it is refused, naming the event and template.
func TestEventsRefuseMatchAll(t *testing.T) {
	for _, tmpl := range []string{"*", "*:y", "?x", "[ab]*"} {
		_, err := ParseEvents(map[string][]string{"wipe": {"product:*", tmpl}})
		if !errors.Is(err, ErrEventTemplate) || !strings.Contains(err.Error(), `event "wipe", template "`+tmpl+`"`) ||
			!strings.Contains(err.Error(), "every key") {
			t.Errorf("template %q: %v", tmpl, err)
		}
	}
	if _, err := ParseEvents(map[string][]string{"tenant": {"{tenant}:*"}}); err != nil {
		t.Errorf("a template starting with a hole: %v", err)
	}
}
