package conformance

// RESP on the wire: reading one complete reply as raw text, encoding
// requests, and parsing raw replies into trees for the looser comparisons.

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// maxReplyBytes bounds one bulk reply the harness accepts, so a broken
// length cannot make it allocate without bound.
const maxReplyBytes = 64 << 20

// readReply reads one complete RESP2 or RESP3 reply and appends its raw
// bytes to b.
func readReply(br *bufio.Reader, b *strings.Builder) error {
	line, err := br.ReadString('\n')
	b.WriteString(line)
	if err != nil {
		return err
	}
	if len(line) < 3 || !strings.HasSuffix(line, "\r\n") {
		return fmt.Errorf("malformed reply line %q", line)
	}
	body := line[1 : len(line)-2]
	switch line[0] {
	case '+', '-', ':', '_', ',', '#', '(':
		return nil
	case '$', '=', '!':
		n, err := strconv.Atoi(body)
		if err != nil || n > maxReplyBytes {
			return fmt.Errorf("bad bulk length %q", body)
		}
		if n < 0 {
			return nil
		}
		buf := make([]byte, n+2)
		k, err := io.ReadFull(br, buf)
		b.Write(buf[:k])
		return err
	case '*', '~', '>', '%', '|':
		n, err := strconv.Atoi(body)
		if err != nil {
			return fmt.Errorf("bad aggregate length %q", body)
		}
		if line[0] == '%' || line[0] == '|' {
			n *= 2
		}
		for i := 0; i < n; i++ {
			if err := readReply(br, b); err != nil {
				return err
			}
		}
		if line[0] == '|' { // an attribute precedes the reply it describes
			return readReply(br, b)
		}
		return nil
	}
	return fmt.Errorf("unknown reply type %q", line)
}

// encodeCommand encodes args as a RESP multibulk request.
func encodeCommand(args []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.String()
}

// node is a parsed reply: its type byte, the text of a simple value, and
// the elements of an aggregate (a map's keys and values alternate).
type node struct {
	typ  byte
	str  string
	kids []*node
	null bool   // $-1 or *-1
	raw  string // the node's raw bytes
}

// parseReply parses one raw reply, which must be complete and alone.
func parseReply(raw string) (*node, error) {
	n, rest, err := parseNode(raw)
	if err != nil {
		return nil, err
	}
	if rest != "" {
		return nil, fmt.Errorf("trailing bytes after reply: %q", rest)
	}
	return n, nil
}

func parseNode(s string) (*node, string, error) {
	i := strings.Index(s, "\r\n")
	if i < 1 {
		return nil, "", fmt.Errorf("not a reply: %q", s)
	}
	n := &node{typ: s[0], str: s[1:i]}
	rest := s[i+2:]
	switch n.typ {
	case '+', '-', ':', '_', ',', '#', '(':
	case '$', '=', '!':
		l, err := strconv.Atoi(n.str)
		if err != nil {
			return nil, "", fmt.Errorf("bad bulk length in %q", s[:i])
		}
		n.null = l < 0
		if l >= 0 {
			if len(rest) < l+2 || rest[l:l+2] != "\r\n" {
				return nil, "", fmt.Errorf("short bulk in %q", s)
			}
			n.str, rest = rest[:l], rest[l+2:]
		}
	case '*', '~', '>', '%', '|':
		l, err := strconv.Atoi(n.str)
		if err != nil {
			return nil, "", fmt.Errorf("bad aggregate length in %q", s[:i])
		}
		if n.typ == '%' || n.typ == '|' {
			l *= 2
		}
		n.null = l < 0
		for k := 0; k < l; k++ {
			var kid *node
			if kid, rest, err = parseNode(rest); err != nil {
				return nil, "", err
			}
			n.kids = append(n.kids, kid)
		}
	default:
		return nil, "", fmt.Errorf("unknown reply type in %q", s[:i])
	}
	n.raw = s[:len(s)-len(rest)]
	return n, rest, nil
}

// text is the value of a string-like node: bulk and verbatim strings
// (without the verbatim format prefix), simple strings and integers.
func (n *node) text() string {
	if n.typ == '=' && len(n.str) >= 4 && n.str[3] == ':' {
		return n.str[4:]
	}
	return n.str
}
