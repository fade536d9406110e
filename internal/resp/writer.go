package resp

import (
	"bytes"
	"math"
	"strconv"

	"github.com/tidwall/redcon"
)

// Writer accumulates a connection's replies until they are flushed. RESP2
// framing comes from redcon's Append functions; RESP3's extra types (maps,
// sets, doubles, nulls, booleans, big numbers, verbatim strings, pushes)
// are written here, and downgraded as Redis does for a RESP2 client. The
// zero Writer is ready to use and speaks RESP2. A Writer is not safe for
// concurrent use.
type Writer struct {
	b     []byte
	resp3 bool
}

// RESP3 reports whether the Writer speaks RESP3.
func (w *Writer) RESP3() bool { return w.resp3 }

// SetRESP3 selects RESP3 (HELLO 3) or RESP2 for the replies that follow.
func (w *Writer) SetRESP3(on bool) { w.resp3 = on }

// Len returns the number of bytes buffered.
func (w *Writer) Len() int { return len(w.b) }

// Cap returns the size of the Writer's buffer: what the replies not yet
// written cost in memory.
func (w *Writer) Cap() int { return cap(w.b) }

// Bytes returns the buffered replies. The slice aliases the buffer: it is
// valid until the next write, Truncate or Reset, and a caller may read or
// store a view of it but not keep it.
func (w *Writer) Bytes() []byte { return w.b }

// Truncate discards all but the first n buffered bytes.
func (w *Writer) Truncate(n int) { w.b = w.b[:n] }

// Reset empties the buffer for the next replies. It keeps the buffer's
// memory unless that has grown past maxKeep bytes: a big reply's buffer
// is then let go, so that an idle connection does not hold it.
func (w *Writer) Reset(maxKeep int) {
	if cap(w.b) > maxKeep {
		w.b = nil
		return
	}
	w.b = w.b[:0]
}

// Raw appends p, which is already RESP in the Writer's protocol.
func (w *Writer) Raw(p []byte) { w.b = append(w.b, p...) }

// PushFrame writes frame, a push message encoded once as a RESP2 array
// for every subscriber: as it is in RESP2, as a push in RESP3. A frame
// that is no array (MONITOR's status lines) goes as it is.
func (w *Writer) PushFrame(frame []byte) { w.b = AppendPushFrame(w.b, frame, w.resp3) }

// AppendPushFrame appends frame to b as PushFrame writes it, for a buffer
// that is not a Writer (a subscriber's queue).
func AppendPushFrame(b, frame []byte, resp3 bool) []byte {
	n := len(b)
	b = append(b, frame...)
	if resp3 && frame[0] == '*' {
		b[n] = '>'
	}
	return b
}

// Simple writes a status reply (+OK).
func (w *Writer) Simple(s string) { w.b = redcon.AppendString(w.b, s) }

// OK writes +OK.
func (w *Writer) OK() { w.b = append(w.b, "+OK\r\n"...) }

// Error writes an error reply; msg starts with its code (ERR, WRONGTYPE...).
func (w *Writer) Error(msg string) { w.b = redcon.AppendError(w.b, msg) }

// Int writes an integer reply.
func (w *Writer) Int(n int64) { w.b = redcon.AppendInt(w.b, n) }

// Bulk writes a bulk string reply.
func (w *Writer) Bulk(b []byte) { w.b = redcon.AppendBulk(w.b, b) }

// BulkString writes a bulk string reply.
func (w *Writer) BulkString(s string) { w.b = redcon.AppendBulkString(w.b, s) }

// Null writes a null bulk string (RESP2 $-1, RESP3 _).
func (w *Writer) Null() {
	if w.resp3 {
		w.b = append(w.b, "_\r\n"...)
		return
	}
	w.b = append(w.b, "$-1\r\n"...)
}

// NullArray writes a null array (RESP2 *-1, RESP3 _).
func (w *Writer) NullArray() {
	if w.resp3 {
		w.b = append(w.b, "_\r\n"...)
		return
	}
	w.b = append(w.b, "*-1\r\n"...)
}

// Array writes an array header for n elements.
func (w *Writer) Array(n int) { w.b = redcon.AppendArray(w.b, n) }

// Map writes a map header for n key/value pairs (RESP2: an array of 2n).
func (w *Writer) Map(n int) {
	if w.resp3 {
		w.b = appendHeader(w.b, '%', n)
		return
	}
	w.Array(2 * n)
}

// Set writes a set header for n elements (RESP2: an array).
func (w *Writer) Set(n int) {
	if w.resp3 {
		w.b = appendHeader(w.b, '~', n)
		return
	}
	w.Array(n)
}

// Push writes a push header for n elements (RESP2: an array).
func (w *Writer) Push(n int) {
	if w.resp3 {
		w.b = appendHeader(w.b, '>', n)
		return
	}
	w.Array(n)
}

// Double writes a float (RESP2: a bulk string in Redis's %.17g form).
func (w *Writer) Double(f float64) {
	if w.resp3 {
		w.b = append(w.b, ',')
		w.b = AppendDouble(w.b, f)
		w.b = append(w.b, "\r\n"...)
		return
	}
	w.BulkString(string(AppendDouble(nil, f)))
}

// HumanDouble writes f as Redis's addReplyHumanLongDouble (GEOPOS's
// coordinates): see AppendHumanDouble; a bulk string in RESP2, a double
// in RESP3.
func (w *Writer) HumanDouble(f float64) {
	if w.resp3 {
		w.b = append(w.b, ',')
		w.b = AppendHumanDouble(w.b, f)
		w.b = append(w.b, "\r\n"...)
		return
	}
	var buf [48]byte
	w.Bulk(AppendHumanDouble(buf[:0], f))
}

// Bool writes a boolean (RESP2: the integer 1 or 0).
func (w *Writer) Bool(v bool) {
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

// BigNumber writes a big number given as its decimal digits (RESP2: a
// bulk string).
func (w *Writer) BigNumber(digits string) {
	if !w.resp3 {
		w.BulkString(digits)
		return
	}
	w.b = append(w.b, '(')
	w.b = append(w.b, digits...)
	w.b = append(w.b, "\r\n"...)
}

// Verbatim writes a verbatim string of format ("txt" or "mkd"; its first
// three bytes, padded with spaces). RESP2 gets a bulk string.
func (w *Writer) Verbatim(format, s string) {
	if !w.resp3 {
		w.BulkString(s)
		return
	}
	w.b = appendHeader(w.b, '=', len(s)+4)
	ext := len(w.b)
	w.b = append(w.b, "   :"...)
	copy(w.b[ext:ext+3], format)
	w.b = append(w.b, s...)
	w.b = append(w.b, "\r\n"...)
}

// Strings writes an array of bulk strings.
func (w *Writer) Strings(ss []string) {
	w.Array(len(ss))
	for _, s := range ss {
		w.BulkString(s)
	}
}

// Help writes a HELP reply: status lines, as Redis's addReplyHelp.
func (w *Writer) Help(lines []string) {
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

// AppendDouble appends f formatted as Redis formats floats in replies:
// inf, -inf, nan, and otherwise the shortest representation that
// round-trips (%.17g trimmed).
func AppendDouble(b []byte, f float64) []byte {
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

// AppendHumanDouble appends f as Redis's ld2string writes it in
// LD_STR_HUMAN mode: %.17f without its trailing zeros (see TrimHuman),
// infinities as inf and -inf.
func AppendHumanDouble(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	}
	start := len(b)
	return TrimHuman(strconv.AppendFloat(b, f, 'f', 17, 64), start)
}

// TrimHuman drops the trailing zeros of the fixed-point number in
// b[start:], and its point when nothing follows it, and writes "-0" as
// "0", as ld2string's LD_STR_HUMAN mode does. It returns b shortened.
func TrimHuman(b []byte, start int) []byte {
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
