package resp

import (
	"bytes"
	"strconv"
)

// Node is one parsed RESP3 value: Strata keeps the command descriptions it
// recorded from redis-server as Nodes, and replays them with Writer.Node in
// whichever protocol the client speaks.
type Node struct {
	// Kind is the RESP3 type byte: '+' status, '$' bulk string,
	// ':' integer, '*' array, '~' set, '%' map.
	Kind byte
	// Str is a status's or bulk string's text.
	Str string
	// Num is an integer's value.
	Num int64
	// Elems are an aggregate's elements; a map holds keys and values
	// alternately.
	Elems []Node
}

// Parse parses a sequence of RESP3 values. It accepts the types a Node
// holds and nothing else, and returns ErrMalformed (or a strconv error for
// an integer out of range) on anything else.
func Parse(data []byte) ([]Node, error) {
	var nodes []Node
	for len(data) > 0 {
		n, rest, err := parseValue(data, 0)
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, n)
		data = rest
	}
	return nodes, nil
}

// maxDepth bounds nesting; command docs nest a handful of levels.
const maxDepth = 32

var crlf = []byte("\r\n")

func parseValue(data []byte, depth int) (Node, []byte, error) {
	if depth > maxDepth {
		return Node{}, nil, ErrMalformed
	}
	line, rest, ok := bytes.Cut(data, crlf)
	if !ok || len(line) == 0 {
		return Node{}, nil, ErrMalformed
	}
	n := Node{Kind: line[0]}
	body := string(line[1:])
	switch n.Kind {
	case '+':
		n.Str = body
		return n, rest, nil
	case ':':
		v, err := strconv.ParseInt(body, 10, 64)
		n.Num = v
		return n, rest, err
	case '$':
		size, err := strconv.Atoi(body)
		if err != nil || size < 0 || len(rest) < size+2 || string(rest[size:size+2]) != "\r\n" {
			return Node{}, nil, ErrMalformed
		}
		n.Str = string(rest[:size])
		return n, rest[size+2:], nil
	case '*', '~', '%':
		count, err := strconv.Atoi(body)
		if err != nil || count < 0 || count > len(rest) {
			return Node{}, nil, ErrMalformed
		}
		if n.Kind == '%' {
			count *= 2
		}
		n.Elems = make([]Node, count)
		for i := range n.Elems {
			if n.Elems[i], rest, err = parseValue(rest, depth+1); err != nil {
				return Node{}, nil, err
			}
		}
		return n, rest, nil
	}
	return Node{}, nil, ErrMalformed
}

// Field returns the value of key in a map node, and whether it has one.
// The value points into n.
func (n *Node) Field(key string) (*Node, bool) {
	for i := 0; i+1 < len(n.Elems); i += 2 {
		if n.Elems[i].Str == key {
			return &n.Elems[i+1], true
		}
	}
	return nil, false
}

// Node writes n, downgrading maps and sets to arrays for RESP2 clients as
// Redis does.
func (w *Writer) Node(n *Node) {
	switch n.Kind {
	case '+':
		w.Simple(n.Str)
	case '$':
		w.BulkString(n.Str)
	case ':':
		w.Int(n.Num)
	case '*':
		w.Array(len(n.Elems))
	case '~':
		w.Set(len(n.Elems))
	case '%':
		w.Map(len(n.Elems) / 2)
	}
	for i := range n.Elems {
		w.Node(&n.Elems[i])
	}
}

// Constructors of the nodes Strata generates for its own commands'
// descriptions.

// Bulk returns a bulk string node.
func Bulk(s string) Node { return Node{Kind: '$', Str: s} }

// Int returns an integer node.
func Int(v int64) Node { return Node{Kind: ':', Num: v} }

// Array returns an array node of elems.
func Array(elems ...Node) Node { return Node{Kind: '*', Elems: elems} }

// Set returns a set node of elems.
func Set(elems ...Node) Node { return Node{Kind: '~', Elems: elems} }

// Map returns a map node of alternating keys and values.
func Map(kv ...Node) Node { return Node{Kind: '%', Elems: kv} }

// StatusSet returns a set node of status strings.
func StatusSet(ss ...string) Node {
	n := Node{Kind: '~', Elems: make([]Node, len(ss))}
	for i, s := range ss {
		n.Elems[i] = Node{Kind: '+', Str: s}
	}
	return n
}
