package server

import (
	"math"
	"strconv"
	"strings"

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

// argFloat parses a float argument as Redis's strtold-based parsing does:
// no trailing garbage, no leading space (Redis checks for one before
// strtold; strconv refuses it), and not NaN.
func argFloat(arg []byte) (float64, bool) {
	s := string(arg)
	ls := strings.ToLower(s)
	switch ls {
	case "inf", "+inf", "infinity", "+infinity":
		return math.Inf(1), true
	case "-inf", "-infinity":
		return math.Inf(-1), true
	}
	if strings.ContainsAny(ls, "_xpn") { // Go accepts 0x, _ and nan; C's strtold does not here
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f, !math.IsInf(f, 0)
		}
		return 0, false
	}
	return f, true
}
