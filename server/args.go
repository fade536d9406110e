package server

import (
	"github.com/stratakv/strata/internal/resp"
)

// is reports whether arg equals the lower-case keyword kw, ignoring ASCII
// case, without allocating.
func is(arg []byte, kw string) bool {
	if len(arg) != len(kw) {
		return false
	}
	for i := 0; i < len(arg); i++ {
		ch := arg[i]
		if ch >= 'A' && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		if ch != kw[i] {
			return false
		}
	}
	return true
}

// argInt parses an integer argument as Redis's string2ll does.
func argInt(arg []byte) (int64, bool) { return resp.ParseInt(arg) }
