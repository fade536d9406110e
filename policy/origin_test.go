package policy

import (
	"strings"
	"testing"
	"time"
)

func TestOriginSettings(t *testing.T) {
	tests := []struct {
		name string
		ns   Namespace
		want string // in the error; "" for none
	}{
		{"http", Namespace{Match: "s:", Origin: "http://127.0.0.1:8000/c/{suffix}"}, ""},
		{"https with key", Namespace{Match: "s:", Origin: "https://h/c?k={key}"}, ""},
		{"ftp", Namespace{Match: "s:", Origin: "ftp://h/{key}"}, `origin: policy: invalid origin: "ftp://h/{key}" is not an http or https URL`},
		{"relative", Namespace{Match: "s:", Origin: "/c/{key}"}, "is not an http or https URL"},
		{"unknown hole", Namespace{Match: "s:", Origin: "http://h/{id}"}, "unknown hole {id}: want {key} or {suffix}"},
		{"open hole", Namespace{Match: "s:", Origin: "http://h/{key"}, "'{' without '}'"},
		{"stale without origin", Namespace{Match: "s:", StaleIfError: time.Minute}, "stale_if_error: policy: invalid origin: it needs an origin"},
		{"negative timeout", Namespace{Match: "s:", Origin: "http://h/{key}", OriginTimeout: -1}, "origin_timeout: policy: negative TTL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New([]Namespace{tt.ns})
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("New: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("New = %v, want an error with %q", err, tt.want)
			}
		})
	}
}

func TestOriginURL(t *testing.T) {
	r, err := New([]Namespace{
		{Name: "path", Match: "school:", Origin: "http://h/cache/{suffix}"},
		{Name: "query", Match: "user:*:profile", Origin: "http://h/u?key={key}&s={suffix}"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		"school:list:central:1": "http://h/cache/list:central:1",
		"school:a/b c?d":        "http://h/cache/a%2Fb%20c%3Fd",
		"user:7:profile":        "http://h/u?key=user%3A7%3Aprofile&s=7%3Aprofile",
	} {
		if got := r.Lookup([]byte(key)).OriginURL(key); got != want {
			t.Errorf("OriginURL(%q) = %q, want %q", key, got, want)
		}
	}
	sp := r.Lookup([]byte("school:x"))
	if sp.OriginTimeout != DefaultOriginTimeout || sp.MaxValueSize != DefaultMaxValueSize {
		t.Errorf("defaults: timeout %v max %d", sp.OriginTimeout, sp.MaxValueSize)
	}
	if def := r.Lookup([]byte("other")); def.HasOrigin() || def.OriginURL("other") != "" {
		t.Error("the default namespace has an origin")
	}
}

func TestRefreshAhead(t *testing.T) {
	sp := &Space{Namespace: Namespace{Origin: "http://h/{key}"}}
	const now, load = 1_000_000, 100 * time.Millisecond
	tests := []struct {
		name string
		exp  int64
		u    float64
		want bool
	}{
		{"no expiry", 0, 1e-9, false},
		{"far from expiry", now + 60_000, 1e-9, false},
		{"within load·ln(1/u)", now + 1_000, 1e-9, true}, // 100ms x 20.7
		{"u = 1 waits for the expiry", now + 1, 1, false},
		{"expired", now, 1, true},
	}
	for _, tt := range tests {
		if got := sp.RefreshAhead(now, tt.exp, load, tt.u); got != tt.want {
			t.Errorf("%s: RefreshAhead = %v, want %v", tt.name, got, tt.want)
		}
	}
	off := &Space{Namespace: Namespace{Origin: "http://h/{key}", NoRefreshAhead: true}}
	if off.RefreshAhead(now, now, load, 1e-9) {
		t.Error("refresh_ahead: false refreshed")
	}
}
