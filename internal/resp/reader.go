package resp

import (
	"io"
	"sync/atomic"
)

// Limits of the request parser, as Redis's networking.c sets them.
const (
	inlineMax       = 64 << 10 // PROTO_INLINE_MAX_SIZE
	multibulkMax    = 1<<31 - 1
	unauthMultibulk = 10    // multibulk count allowed before AUTH
	unauthBulk      = 16384 // bulk length allowed before AUTH
	readChunk       = 16 << 10
	bigArgThreshold = 32 << 10 // beyond this a bulk gets a buffer of its own size
)

// DefaultQueryBufferLimit is Redis's default client-query-buffer-limit:
// a connection whose unparsed input grows past it (an endless multibulk,
// a bulk bigger than it) is closed.
const DefaultQueryBufferLimit = 1 << 30

// DefaultMaxBulk is Redis's default proto-max-bulk-len, the largest bulk
// argument a Reader accepts unless told otherwise.
const DefaultMaxBulk = 512 << 20

// Reader parses requests, RESP multibulk or inline, from a connection,
// with Redis's limits. Arguments point into its buffer and stay valid
// until the next call to Next or Fill; a caller that keeps an argument
// must copy it. A Reader is not safe for concurrent use.
type Reader struct {
	rd         io.Reader
	buf        []byte
	start, end int
	args       [][]byte
	ahead      [][]byte // Ahead's arguments, apart from Next's
	// last is the size of the request Next returned last.
	last int
	// maxBulk is proto-max-bulk-len; authed relaxes the pre-AUTH limits.
	maxBulk int64
	authed  func() bool
	// queryLimit is client-query-buffer-limit, nil for the default.
	queryLimit *atomic.Int64
	// backlogged: the last read filled all the room it had (see Backlogged).
	backlogged bool
}

// NewReader returns a Reader of rd. maxBulk is proto-max-bulk-len, the
// largest bulk argument accepted; authed reports whether the connection
// has authenticated, before which Redis allows only small requests.
func NewReader(rd io.Reader, maxBulk int64, authed func() bool) *Reader {
	return &Reader{rd: rd, buf: make([]byte, readChunk), maxBulk: maxBulk, authed: authed}
}

// LimitQueryBuffer makes limit the Reader's client-query-buffer-limit
// (DefaultQueryBufferLimit until called). It is read at every read from
// the connection, so a change applies to a connection at once, as in
// Redis.
func (r *Reader) LimitQueryBuffer(limit *atomic.Int64) { r.queryLimit = limit }

func (r *Reader) queryBufferLimit() int64 {
	if r.queryLimit == nil {
		return DefaultQueryBufferLimit
	}
	return r.queryLimit.Load()
}

// Cap returns the size of the Reader's buffer: what the connection's
// input costs in memory.
func (r *Reader) Cap() int { return cap(r.buf) }

// Next returns the next request's arguments. Before it blocks on the
// connection it calls idle, so replies to a pipeline go out in one write
// just when there is nothing more to read; an error from idle is returned.
// An empty request (a blank inline line, "*0") is skipped. A malformed
// request returns a ProtocolError, one past client-query-buffer-limit
// ErrQueryBufferLimit, and a failed read the connection's error; the
// connection should then be closed.
func (r *Reader) Next(idle func() error) ([][]byte, error) {
	for {
		start := r.start
		args, err := r.parse()
		if err == nil {
			if len(args) == 0 {
				continue
			}
			r.last = r.start - start
			return args, nil
		}
		if err != errIncomplete {
			return nil, err
		}
		if err := idle(); err != nil {
			return nil, err
		}
		if err := r.Fill(); err != nil {
			return nil, err
		}
	}
}

// QueryBuffer returns what CLIENT LIST reports as qbuf and qbuf-free: the
// bytes of the request Next returned last and of those after it not yet
// parsed, and the rest of the buffer.
func (r *Reader) QueryBuffer() (used, free int) {
	used = r.last + r.end - r.start
	return used, max(0, len(r.buf)-used)
}

// Fill reads more bytes into the buffer, compacting or growing it first,
// without parsing them: a caller that is not ready for the next request
// (a blocked client) uses it to see the connection close, and Next parses
// what it read later. It returns the read's error, or ErrQueryBufferLimit
// when the input not yet parsed grows past client-query-buffer-limit, as
// Redis checks after each read.
func (r *Reader) Fill() error {
	if r.start > 0 {
		if r.start == r.end {
			r.start, r.end = 0, 0
			if cap(r.buf) > 4*readChunk {
				// Let a big request's buffer go: no other request followed
				// it in the same read.
				r.buf = make([]byte, readChunk)
			}
		} else if r.end == len(r.buf) {
			n := copy(r.buf, r.buf[r.start:r.end])
			r.start, r.end = 0, n
		}
	}
	if r.end == len(r.buf) {
		nb := make([]byte, 2*len(r.buf))
		copy(nb, r.buf[r.start:r.end])
		r.buf, r.end, r.start = nb, r.end-r.start, 0
	}
	room := len(r.buf) - r.end
	n, err := r.rd.Read(r.buf[r.end:])
	r.backlogged = n == room
	r.end += n
	if n > 0 {
		if int64(r.end-r.start) > r.queryBufferLimit() {
			return ErrQueryBufferLimit
		}
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// Buffered reports whether bytes are buffered past the request Next
// returned last: more of a pipeline, possibly incomplete.
func (r *Reader) Buffered() bool { return r.start < r.end }

// Ahead calls fn with the arguments of each complete request buffered
// past the one Next returned last, up to limit of them, without consuming
// them, and returns how many it saw: a look at what a pipeline asks next,
// for hints such as prefetching its keys. It stops at the first request
// that is incomplete or not a plain multibulk one (inline, empty,
// malformed), which Next parses, or refuses, in its turn. The arguments
// are valid only during fn.
func (r *Reader) Ahead(limit int, fn func(args [][]byte)) int {
	b := r.buf[r.start:r.end]
	n := 0
	for ; n < limit; n++ {
		args, used := r.peek(b)
		if used == 0 {
			break
		}
		fn(args)
		b = b[used:]
	}
	return n
}

// peek parses the multibulk request b starts with, into r.ahead, and
// returns its arguments and length; 0 when b holds no complete,
// well-formed, non-empty one. It checks no limit but proto-max-bulk-len:
// Next applies them all when the request's turn comes.
func (r *Reader) peek(b []byte) ([][]byte, int) {
	if len(b) == 0 || b[0] != '*' {
		return nil, 0
	}
	line, pos, ok := readLine(b, 1)
	if !ok {
		return nil, 0
	}
	count, ok := ParseInt(line)
	if !ok || count <= 0 || count > multibulkMax {
		return nil, 0
	}
	args := r.ahead[:0]
	for i := int64(0); i < count; i++ {
		if pos >= len(b) || b[pos] != '$' {
			return nil, 0
		}
		line, next, ok := readLine(b, pos+1)
		if !ok {
			return nil, 0
		}
		n, ok := ParseInt(line)
		if !ok || n < 0 || n > r.maxBulk || next+int(n)+2 > len(b) {
			return nil, 0
		}
		args = append(args, b[next:next+int(n):next+int(n)])
		pos = next + int(n) + 2
	}
	r.ahead = args
	return args, pos
}

// Backlogged reports whether the last read filled all the room the buffer
// had: the client sends faster than it is served, and more is probably
// waiting on the connection.
func (r *Reader) Backlogged() bool { return r.backlogged }

// reserve makes room for a request of total bytes starting at r.start, so a
// large bulk is read into one buffer of the right size instead of doubling.
// The buffer has a read's worth of room past the request: a client sending
// big requests back to back (64kb PUBLISHes) then has the next one's start
// in it when the request is done, so Fill keeps the buffer for the next
// instead of letting it go and reserving another for each request.
func (r *Reader) reserve(total int) {
	if total <= len(r.buf) {
		return
	}
	nb := make([]byte, total+readChunk)
	copy(nb, r.buf[r.start:r.end])
	r.buf, r.end, r.start = nb, r.end-r.start, 0
}

// parse parses one request from the buffer without reading. On success the
// request is consumed; on errIncomplete nothing is.
func (r *Reader) parse() ([][]byte, error) {
	b := r.buf[r.start:r.end]
	if len(b) == 0 {
		return nil, errIncomplete
	}
	if b[0] != '*' {
		return r.parseInline(b)
	}
	line, pos, ok := readLine(b, 1)
	if !ok {
		if len(b) > inlineMax {
			return nil, ProtocolError("too big mbulk count string")
		}
		return nil, errIncomplete
	}
	count, ok := ParseInt(line)
	if !ok || count > multibulkMax {
		return nil, ProtocolError("invalid multibulk length")
	}
	if count > unauthMultibulk && !r.authed() {
		return nil, ProtocolError("unauthenticated multibulk length")
	}
	if count <= 0 {
		r.start += pos
		return nil, nil
	}
	args := r.args[:0]
	for i := int64(0); i < count; i++ {
		if pos >= len(b) {
			return nil, errIncomplete
		}
		if b[pos] != '$' {
			return nil, ProtocolError("expected '$', got '" + string(b[pos]) + "'")
		}
		line, next, ok := readLine(b, pos+1)
		if !ok {
			if len(b)-pos > inlineMax {
				return nil, ProtocolError("too big bulk count string")
			}
			return nil, errIncomplete
		}
		n, ok := ParseInt(line)
		if !ok || n < 0 || n > r.maxBulk {
			return nil, ProtocolError("invalid bulk length")
		}
		if n > unauthBulk && !r.authed() {
			return nil, ProtocolError("unauthenticated bulk length")
		}
		if next+int(n)+2 > len(b) {
			// A request bigger than the query buffer limit can never be
			// read whole: it is left to grow past it, and never gets a
			// buffer of its declared size.
			if n >= bigArgThreshold && int64(next)+n+2 <= r.queryBufferLimit() {
				r.reserve(next + int(n) + 2)
			}
			return nil, errIncomplete
		}
		args = append(args, b[next:next+int(n):next+int(n)])
		pos = next + int(n) + 2 // Redis does not check the CRLF either
	}
	r.args = args
	r.start += pos
	return args, nil
}

// readLine returns the bytes from i up to the next CR, and the position
// after its CRLF.
func readLine(b []byte, i int) ([]byte, int, bool) {
	for j := i; j+1 < len(b); j++ {
		if b[j] == '\r' {
			if b[j+1] != '\n' {
				continue
			}
			return b[i:j], j + 2, true
		}
	}
	return nil, 0, false
}

// ParseInt parses a decimal 64-bit integer the way Redis's string2ll does:
// an optional '-', no '+', no leading zeros, no spaces. Lengths in requests
// and integer arguments of commands are read with it.
func ParseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	neg := false
	if b[0] == '-' {
		neg, b = true, b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	if b[0] == '0' && (len(b) > 1 || neg) { // "-0" too, as string2ll
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (1<<64-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	if neg {
		if n > 1<<63 {
			return 0, false
		}
		return -int64(n), true
	}
	if n > 1<<63-1 {
		return 0, false
	}
	return int64(n), true
}

// parseInline parses a telnet-style request line, split as Redis's
// sdssplitargs splits it.
func (r *Reader) parseInline(b []byte) ([][]byte, error) {
	nl := -1
	for i, c := range b {
		if c == '\n' {
			nl = i
			break
		}
	}
	if nl < 0 {
		if len(b) > inlineMax {
			return nil, ProtocolError("too big inline request")
		}
		return nil, errIncomplete
	}
	line := b[:nl]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	args, ok := splitArgs(line, r.args[:0])
	if !ok {
		return nil, ProtocolError("unbalanced quotes in request")
	}
	r.args = args
	r.start += nl + 1
	return args, nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f'
}

// isWordEnd reports whether c ends an unquoted inline argument: unlike
// isspace, sdssplitargs stops only at these (so "a\vb" is one argument).
func isWordEnd(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

// splitArgs is Redis's sdssplitargs: whitespace-separated arguments, with
// "double quotes" (escapes \n \r \t \b \a \\ \" \xHH) and 'single quotes'
// (escape \'). A closing quote must be followed by a space or the end.
// Quoted arguments are unescaped into fresh slices; others alias line.
func splitArgs(line []byte, args [][]byte) ([][]byte, bool) {
	i := 0
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i >= len(line) {
			return args, true
		}
		if line[i] != '"' && line[i] != '\'' {
			j := i
			for j < len(line) && !isWordEnd(line[j]) && line[j] != '"' && line[j] != '\'' {
				j++
			}
			if j < len(line) && !isWordEnd(line[j]) {
				// A quote inside a word starts a quoted part, as in Redis.
				arg, next, ok := splitQuoted(line, i, j)
				if !ok {
					return nil, false
				}
				args = append(args, arg)
				i = next
				continue
			}
			args = append(args, line[i:j:j])
			i = j
			continue
		}
		arg, next, ok := splitQuoted(line, i, i)
		if !ok {
			return nil, false
		}
		args = append(args, arg)
		i = next
	}
}

// splitQuoted reads one argument starting at i whose plain prefix ends at
// q, where a quote opens.
func splitQuoted(line []byte, i, q int) ([]byte, int, bool) {
	cur := append([]byte(nil), line[i:q]...)
	j := q
	inDouble, inSingle := false, false
	for {
		if j >= len(line) {
			if inDouble || inSingle {
				return nil, 0, false
			}
			return cur, j, true
		}
		c := line[j]
		switch {
		case inDouble:
			switch {
			case c == '\\' && j+3 < len(line) && line[j+1] == 'x' && isHex(line[j+2]) && isHex(line[j+3]):
				cur = append(cur, hexVal(line[j+2])<<4|hexVal(line[j+3]))
				j += 3
			case c == '\\' && j+1 < len(line):
				j++
				switch e := line[j]; e {
				case 'n':
					cur = append(cur, '\n')
				case 'r':
					cur = append(cur, '\r')
				case 't':
					cur = append(cur, '\t')
				case 'b':
					cur = append(cur, '\b')
				case 'a':
					cur = append(cur, '\a')
				default:
					cur = append(cur, e)
				}
			case c == '"':
				if j+1 < len(line) && !isSpace(line[j+1]) {
					return nil, 0, false
				}
				inDouble = false
				return cur, j + 1, true
			default:
				cur = append(cur, c)
			}
		case inSingle:
			switch {
			case c == '\\' && j+1 < len(line) && line[j+1] == '\'':
				cur = append(cur, '\'')
				j++
			case c == '\'':
				if j+1 < len(line) && !isSpace(line[j+1]) {
					return nil, 0, false
				}
				return cur, j + 1, true
			default:
				cur = append(cur, c)
			}
		default:
			switch {
			case isWordEnd(c):
				return cur, j, true
			case c == '"':
				inDouble = true
			case c == '\'':
				inSingle = true
			default:
				cur = append(cur, c)
			}
		}
		j++
	}
}

// SplitArgs splits line into arguments as Redis's sdssplitargs does (and
// as inline commands are split); false for unbalanced quotes. Quoted
// arguments are fresh slices; others alias line.
func SplitArgs(line []byte) ([][]byte, bool) { return splitArgs(line, nil) }
