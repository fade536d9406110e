package policy

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
)

// ExpireAt resolves the expiry of a key of s written at now (all times in
// unix milliseconds; 0 means no expiry).
//
// given is the expiry the writer asked for, 0 for none. With none, the
// namespace's default applies: the TTL its ttl_by_field picks from value,
// else its TTL. Then jitter multiplies the TTL by 1-Jitter+2*Jitter*u (u
// uniform in [0, 1), supplied by the caller so tests can fix it; a given
// TTL is left exact when NoClientJitter), and
// MaxTTL caps the result: a key without a TTL gets MaxTTL. A given expiry
// already in the past is returned unchanged.
func (s *Space) ExpireAt(now, given int64, value []byte, u float64) int64 {
	var ttl int64
	if given != 0 {
		ttl = given - now
		if ttl <= 0 {
			return given
		}
		if s.NoClientJitter {
			u = 0.5 // the factor 1: the client's TTL, only capped
		}
	} else {
		ttl = s.DefaultTTL(value).Milliseconds()
	}
	return s.shape(now, ttl, u)
}

// Cap applies only the namespace's bounds to an expiry a writer kept
// rather than chose (SET KEEPTTL, a counter's INCR, RENAME): MaxTTL caps it
// and gives a key without one MaxTTL. Jitter is not applied again.
func (s *Space) Cap(now, exp int64) int64 {
	max := s.MaxTTL.Milliseconds()
	if max <= 0 || exp != 0 && exp-now <= max {
		return exp
	}
	return now + max
}

// shape jitters and caps a TTL of ttl milliseconds (0: none) from now.
func (s *Space) shape(now, ttl int64, u float64) int64 {
	if ttl > 0 && s.Jitter > 0 {
		f := 1 - s.Jitter + 2*s.Jitter*u
		if j := float64(ttl) * f; j < float64(maxMillis-now) {
			ttl = max(int64(j), 1)
		}
	}
	if max := s.MaxTTL.Milliseconds(); max > 0 && (ttl == 0 || ttl > max) {
		ttl = max
	}
	if ttl <= 0 {
		return 0
	}
	if ttl > maxMillis-now {
		ttl = maxMillis - now
	}
	return now + ttl
}

// DefaultTTL returns the TTL a key of s gets when its writer gives none:
// the ttl_by_field choice for value, else the namespace's TTL (0: none).
func (s *Space) DefaultTTL(value []byte) time.Duration {
	if f := s.TTLByField; f != nil {
		if v, ok := topLevelField(value, f.Field); ok {
			if d, ok := f.TTL[v]; ok {
				return d
			}
		}
		if f.Default > 0 {
			return f.Default
		}
	}
	return s.TTL
}

// topLevelField returns the text of field in the JSON object doc: a
// string's value, or a number's, boolean's or null's literal text. It
// reports false when doc is not an object or lacks the field (an object or
// array value also counts as lacking it: it names no TTL).
func topLevelField(doc []byte, field string) (string, bool) {
	doc = bytes.TrimLeft(doc, " \t\r\n")
	if len(doc) == 0 || doc[0] != '{' {
		return "", false
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil { // the '{'
		return "", false
	}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return "", false
		}
		if k, _ := kt.(string); k != field {
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return "", false
			}
			continue
		}
		vt, err := dec.Token()
		if err != nil {
			return "", false
		}
		switch v := vt.(type) {
		case string:
			return v, true
		case json.Number:
			return v.String(), true
		case bool:
			return strconv.FormatBool(v), true
		case nil:
			return "null", true
		}
		return "", false
	}
	return "", false
}
