package server

import (
	"errors"
	"strconv"
)

// respNode is one parsed RESP3 value. It holds the command descriptions
// recorded from redis-server (see cmd_command.go), which Strata replays in
// whichever protocol the client speaks.
type respNode struct {
	// kind is the RESP3 type byte: '+' status, '$' bulk, ':' integer,
	// '*' array, '~' set, '%' map.
	kind byte
	str  string
	num  int64
	// elems are an aggregate's elements; a map holds keys and values
	// alternately.
	elems []respNode
}

// errRESPData reports malformed recorded data.
var errRESPData = errors.New("server: malformed RESP3 data")

// parseRESP3 parses a sequence of RESP3 values. It accepts the types the
// recorded data uses and nothing else.
func parseRESP3(data []byte) ([]respNode, error) {
	var nodes []respNode
	for len(data) > 0 {
		n, rest, err := parseRESP3Value(data, 0)
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, n)
		data = rest
	}
	return nodes, nil
}

// maxRESP3Depth bounds nesting; command docs nest a handful of levels.
const maxRESP3Depth = 32

func parseRESP3Value(data []byte, depth int) (respNode, []byte, error) {
	if depth > maxRESP3Depth {
		return respNode{}, nil, errRESPData
	}
	line, rest, ok := cutLine(data)
	if !ok || len(line) == 0 {
		return respNode{}, nil, errRESPData
	}
	n := respNode{kind: line[0]}
	body := string(line[1:])
	switch n.kind {
	case '+':
		n.str = body
		return n, rest, nil
	case ':':
		v, err := strconv.ParseInt(body, 10, 64)
		n.num = v
		return n, rest, err
	case '$':
		size, err := strconv.Atoi(body)
		if err != nil || size < 0 || len(rest) < size+2 || string(rest[size:size+2]) != "\r\n" {
			return respNode{}, nil, errRESPData
		}
		n.str = string(rest[:size])
		return n, rest[size+2:], nil
	case '*', '~', '%':
		count, err := strconv.Atoi(body)
		if err != nil || count < 0 || count > len(rest) {
			return respNode{}, nil, errRESPData
		}
		if n.kind == '%' {
			count *= 2
		}
		n.elems = make([]respNode, count)
		for i := range n.elems {
			if n.elems[i], rest, err = parseRESP3Value(rest, depth+1); err != nil {
				return respNode{}, nil, err
			}
		}
		return n, rest, nil
	}
	return respNode{}, nil, errRESPData
}

// cutLine splits data after its first CRLF.
func cutLine(data []byte) (line, rest []byte, ok bool) {
	for i := 0; i+1 < len(data); i++ {
		if data[i] == '\r' && data[i+1] == '\n' {
			return data[:i], data[i+2:], true
		}
	}
	return nil, nil, false
}

// field returns the value of key in a map node.
func (n *respNode) field(key string) (*respNode, bool) {
	for i := 0; i+1 < len(n.elems); i += 2 {
		if n.elems[i].str == key {
			return &n.elems[i+1], true
		}
	}
	return nil, false
}

// Node writes n, downgrading RESP3 maps and sets to arrays for RESP2
// clients as Redis does.
func (w *reply) Node(n *respNode) {
	switch n.kind {
	case '+':
		w.Simple(n.str)
	case '$':
		w.BulkString(n.str)
	case ':':
		w.Int(n.num)
	case '*':
		w.Array(len(n.elems))
	case '~':
		w.Set(len(n.elems))
	case '%':
		w.Map(len(n.elems) / 2)
	}
	for i := range n.elems {
		w.Node(&n.elems[i])
	}
}

// Helpers that build nodes for generated command descriptions.

func statusNode(s string) respNode { return respNode{kind: '+', str: s} }
func bulkNode(s string) respNode   { return respNode{kind: '$', str: s} }
func intNode(v int64) respNode     { return respNode{kind: ':', num: v} }
func arrayNode(elems ...respNode) respNode {
	return respNode{kind: '*', elems: elems}
}
func setNode(elems ...respNode) respNode { return respNode{kind: '~', elems: elems} }

// mapNode builds a map from alternating keys and values.
func mapNode(kv ...respNode) respNode { return respNode{kind: '%', elems: kv} }

// statusSet builds a set of status strings.
func statusSet(ss ...string) respNode {
	n := respNode{kind: '~', elems: make([]respNode, len(ss))}
	for i, s := range ss {
		n.elems[i] = statusNode(s)
	}
	return n
}
