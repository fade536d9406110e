package server

import (
	"bytes"
	"math"
	"strconv"

	"github.com/tidwall/redcon"
)

// reply accumulates a connection's replies until they are flushed. RESP2
// framing comes from redcon's Append functions; RESP3's extra types (maps,
// sets, doubles, nulls, booleans, push) are written here.
type reply struct {
	b     []byte
	resp3 bool
}

// Simple writes a status reply (+OK).
func (w *reply) Simple(s string) { w.b = redcon.AppendString(w.b, s) }

// OK writes +OK.
func (w *reply) OK() { w.b = append(w.b, "+OK\r\n"...) }

// Error writes an error reply; msg starts with its code (ERR, WRONGTYPE...).
func (w *reply) Error(msg string) { w.b = redcon.AppendError(w.b, msg) }

// Int writes an integer reply.
func (w *reply) Int(n int64) { w.b = redcon.AppendInt(w.b, n) }

// Bulk writes a bulk string reply.
func (w *reply) Bulk(b []byte) { w.b = redcon.AppendBulk(w.b, b) }

// BulkString writes a bulk string reply.
func (w *reply) BulkString(s string) { w.b = redcon.AppendBulkString(w.b, s) }

// Null writes a null bulk string (RESP2 $-1, RESP3 _).
func (w *reply) Null() {
	if w.resp3 {
		w.b = append(w.b, "_\r\n"...)
		return
	}
	w.b = append(w.b, "$-1\r\n"...)
}

// NullArray writes a null array (RESP2 *-1, RESP3 _).
func (w *reply) NullArray() {
	if w.resp3 {
		w.b = append(w.b, "_\r\n"...)
		return
	}
	w.b = append(w.b, "*-1\r\n"...)
}

// Array writes an array header for n elements.
func (w *reply) Array(n int) { w.b = redcon.AppendArray(w.b, n) }

// Map writes a map header for n key/value pairs (RESP2: an array of 2n).
func (w *reply) Map(n int) {
	if w.resp3 {
		w.b = appendHeader(w.b, '%', n)
		return
	}
	w.Array(2 * n)
}

// Set writes a set header for n elements (RESP2: an array).
func (w *reply) Set(n int) {
	if w.resp3 {
		w.b = appendHeader(w.b, '~', n)
		return
	}
	w.Array(n)
}

// Push writes a push header for n elements (RESP2: an array).
func (w *reply) Push(n int) {
	if w.resp3 {
		w.b = appendHeader(w.b, '>', n)
		return
	}
	w.Array(n)
}

// Double writes a float (RESP2: a bulk string in Redis's %.17g form).
func (w *reply) Double(f float64) {
	if w.resp3 {
		w.b = append(w.b, ',')
		w.b = appendDouble(w.b, f)
		w.b = append(w.b, "\r\n"...)
		return
	}
	w.BulkString(string(appendDouble(nil, f)))
}

// HumanDouble writes f as Redis's addReplyHumanLongDouble (GEOPOS's
// coordinates): see appendHumanDouble; a bulk string in RESP2, a double
// in RESP3.
func (w *reply) HumanDouble(f float64) {
	if w.resp3 {
		w.b = append(w.b, ',')
		w.b = appendHumanDouble(w.b, f)
		w.b = append(w.b, "\r\n"...)
		return
	}
	var buf [48]byte
	w.Bulk(appendHumanDouble(buf[:0], f))
}

// Bool writes a boolean (RESP2: the integer 1 or 0).
func (w *reply) Bool(v bool) {
	if w.resp3 {
		if v {
			w.b = append(w.b, "#t\r\n"...)
		} else {
			w.b = append(w.b, "#f\r\n"...)
		}
		return
	}
	if v {
		w.Int(1)
	} else {
		w.Int(0)
	}
}

// Verbatim writes a verbatim string of format "txt" (RESP2: a bulk string).
func (w *reply) Verbatim(s string) {
	if !w.resp3 {
		w.BulkString(s)
		return
	}
	w.b = appendHeader(w.b, '=', len(s)+4)
	w.b = append(w.b, "txt:"...)
	w.b = append(w.b, s...)
	w.b = append(w.b, "\r\n"...)
}

// Strings writes an array of bulk strings.
func (w *reply) Strings(ss []string) {
	w.Array(len(ss))
	for _, s := range ss {
		w.BulkString(s)
	}
}

// help writes a HELP reply: status lines, as Redis's addReplyHelp.
func (w *reply) help(lines []string) {
	w.Array(len(lines))
	for _, l := range lines {
		w.Simple(l)
	}
}

func appendHeader(b []byte, kind byte, n int) []byte {
	b = append(b, kind)
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, "\r\n"...)
}

// appendDouble formats f as Redis does for replies: inf, -inf, nan, and
// otherwise the shortest representation that round-trips (%.17g trimmed).
func appendDouble(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	case math.IsNaN(f):
		return append(b, "nan"...)
	}
	return strconv.AppendFloat(b, f, 'g', 17, 64)
}

// appendHumanDouble appends f as Redis's ld2string writes it in
// LD_STR_HUMAN mode: %.17f without its trailing zeros (see trimHuman),
// infinities as inf and -inf.
func appendHumanDouble(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	}
	start := len(b)
	return trimHuman(strconv.AppendFloat(b, f, 'f', 17, 64), start)
}

// trimHuman drops the trailing zeros of the fixed-point number from
// b[start:], and its point when nothing follows it, and writes "-0" as
// "0", as ld2string's LD_STR_HUMAN mode does.
func trimHuman(b []byte, start int) []byte {
	num := b[start:]
	if bytes.IndexByte(num, '.') >= 0 {
		num = bytes.TrimSuffix(bytes.TrimRight(num, "0"), []byte("."))
	}
	if string(num) == "-0" {
		num = num[1:]
		b[start] = '0'
	}
	return b[:start+len(num)]
}
