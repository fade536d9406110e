package policy

// Read-through settings of a namespace: its origin URL, how long a load
// may take, what is kept of 404s and of expired values, and when a key
// read close to its expiry is reloaded ahead of time.

import (
	"fmt"
	"math"
	"time"
)

// Defaults of the origin settings.
const (
	DefaultOriginTimeout = 5 * time.Second
	DefaultMaxValueSize  = 16 << 20
)

// originHoles are the holes an origin URL may have.
var originHoles = []string{"key", "suffix"}

// compileOrigin checks the read-through settings and fills their defaults.
func (s *Space) compileOrigin() error {
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"origin_timeout", s.OriginTimeout}, {"negative_ttl", s.NegativeTTL}, {"stale_if_error", s.StaleIfError}, {"lease_stale", s.LeaseStale}} {
		if d.v < 0 {
			return fmt.Errorf("%s: %w %v", d.name, ErrNegativeTTL, d.v)
		}
	}
	if s.MaxValueSize < 0 {
		return fmt.Errorf("max_value_size: %w: %d is negative", ErrOrigin, s.MaxValueSize)
	}
	if s.Origin == "" {
		for _, set := range []struct {
			name string
			on   bool
		}{{"origin_timeout", s.OriginTimeout > 0}, {"negative_ttl", s.NegativeTTL > 0}, {"stale_if_error", s.StaleIfError > 0}, {"max_value_size", s.MaxValueSize > 0}} {
			if set.on {
				return fmt.Errorf("%s: %w: it needs an origin", set.name, ErrOrigin)
			}
		}
		return nil
	}
	t, err := ParseURLTemplate(s.Origin, originHoles)
	if err != nil {
		return fmt.Errorf("origin: %w: %s", ErrOrigin, err)
	}
	s.origin = t
	if s.OriginTimeout == 0 {
		s.OriginTimeout = DefaultOriginTimeout
	}
	if s.MaxValueSize == 0 {
		s.MaxValueSize = DefaultMaxValueSize
	}
	return nil
}

// HasOrigin reports whether the namespace is read-through.
func (s *Space) HasOrigin() bool { return s.Origin != "" }

// OriginURL returns the URL key is loaded from: the origin template with
// {key} and {suffix} filled, URL-escaped. It is "" without an origin.
func (s *Space) OriginURL(key string) string {
	if s.Origin == "" {
		return ""
	}
	suffix := key
	if len(key) >= len(s.prefix) {
		suffix = key[len(s.prefix):]
	}
	u, _ := s.origin.Fill(map[string]string{"key": key, "suffix": suffix}, URLEscape)
	return u
}

// KeepsStale returns how long past its expiry a key's last value is kept,
// for stale_if_error and lease_stale: the longer of the two.
func (s *Space) KeepsStale() time.Duration { return max(s.StaleIfError, s.LeaseStale) }

// RefreshAhead decides XFetch's probabilistic early refresh (Vattani,
// Chierichetti and Lowenstein, "Optimal Probabilistic Cache Stampede
// Prevention", 2015) for a key of s read at now that expires at exp (unix
// ms; 0: never) and took load to fetch: reload when now - load·ln(u)
// reaches exp, u uniform in (0, 1] supplied by the caller. The closer the
// expiry and the slower the load, the likelier; a key read often is
// reloaded shortly before it expires, one read rarely is left to expire.
func (s *Space) RefreshAhead(now, exp int64, load time.Duration, u float64) bool {
	if s.Origin == "" || s.NoRefreshAhead || exp == 0 || u <= 0 {
		return false
	}
	return float64(now)-float64(load.Milliseconds())*math.Log(u) >= float64(exp)
}
