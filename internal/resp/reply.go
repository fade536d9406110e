package resp

import (
	"bufio"
	"io"
	"strconv"
)

// Kinds ReadReply gives beyond those of Parse.
const (
	// KindError is an error reply; Str is its text, without the '-'.
	KindError = '-'
	// KindNull is a null bulk string or array.
	KindNull = '_'
)

// maxReplyBulk bounds a bulk string ReadReply accepts, as the server bounds
// a request's (proto-max-bulk-len's default).
const maxReplyBulk = DefaultMaxBulk

// ReadReply reads one RESP2 reply from br, as a server sends it to a
// client that has not said HELLO 3: a status, an error (KindError), an
// integer, a bulk string, an array, or a null (KindNull). It is what a
// node uses to read the replies of the nodes it calls. A malformed reply
// is ErrMalformed; a failed read is the reader's error.
func ReadReply(br *bufio.Reader) (Node, error) { return readReply(br, 0) }

func readReply(br *bufio.Reader, depth int) (Node, error) {
	if depth > maxDepth {
		return Node{}, ErrMalformed
	}
	line, err := br.ReadSlice('\n')
	if err != nil {
		if err == bufio.ErrBufferFull {
			return Node{}, ErrMalformed
		}
		return Node{}, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return Node{}, ErrMalformed
	}
	n := Node{Kind: line[0]}
	body := line[1 : len(line)-2]
	switch n.Kind {
	case '+', KindError:
		n.Str = string(body)
		return n, nil
	case ':':
		v, ok := ParseInt(body)
		if !ok {
			return Node{}, ErrMalformed
		}
		n.Num = v
		return n, nil
	case '$':
		size, ok := ParseInt(body)
		switch {
		case !ok || size < -1 || size > maxReplyBulk:
			return Node{}, ErrMalformed
		case size == -1:
			return Node{Kind: KindNull}, nil
		}
		b := make([]byte, size+2)
		if _, err := io.ReadFull(br, b); err != nil {
			return Node{}, err
		}
		if string(b[size:]) != "\r\n" {
			return Node{}, ErrMalformed
		}
		n.Str = string(b[:size])
		return n, nil
	case '*':
		count, err := strconv.Atoi(string(body))
		switch {
		case err != nil || count < -1 || count > multibulkMax:
			return Node{}, ErrMalformed
		case count == -1:
			return Node{Kind: KindNull}, nil
		}
		n.Elems = make([]Node, 0, min(count, 1024))
		for range count {
			e, err := readReply(br, depth+1)
			if err != nil {
				return Node{}, err
			}
			n.Elems = append(n.Elems, e)
		}
		return n, nil
	}
	return Node{}, ErrMalformed
}

// AppendCommand appends a command to b as a RESP multibulk, as a client
// sends it.
func AppendCommand(b []byte, args ...[]byte) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, "\r\n"...)
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, "\r\n"...)
		b = append(b, a...)
		b = append(b, "\r\n"...)
	}
	return b
}
