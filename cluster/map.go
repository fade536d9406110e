package cluster

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
)

// ErrInvalidMap is wrapped by every error Parse returns.
var ErrInvalidMap = errors.New("cluster: invalid slot map")

// maxIDLen is the longest node id: Redis's ids are 40 hex digits.
const maxIDLen = 40

// Node is one node of a Map.
type Node struct {
	// ID names the node in the map and to clients (CLUSTER MYID): 1 to 40
	// letters, digits, '-', '_' or '.'.
	ID string
	// Host and Port are where clients reach it, as MOVED and CLUSTER SLOTS
	// give them.
	Host string
	Port int
}

// Addr returns the node's host:port.
func (n *Node) Addr() string { return net.JoinHostPort(n.Host, strconv.Itoa(n.Port)) }

// Range is the slots First to Last, both included.
type Range struct{ First, Last int }

// Map is one version of the cluster's topology. Build one with Parse; a
// Map is immutable and safe for concurrent use.
type Map struct {
	// Version orders maps: a node accepts only a map of a higher version.
	Version uint64
	// Nodes are the nodes in the order the map lists them.
	Nodes []Node
	// owner and migrating hold, per slot, the index in Nodes of the slot's
	// owner and of the node it is migrating to (-1: none).
	owner, migrating [Slots]int16
}

// Owner returns the index in m.Nodes of the node serving slot.
func (m *Map) Owner(slot int) int { return int(m.owner[slot]) }

// MigratingTo returns the index in m.Nodes of the node slot is moving to,
// -1 when it is not moving.
func (m *Map) MigratingTo(slot int) int { return int(m.migrating[slot]) }

// Index returns the index of the node with id, -1 when there is none.
func (m *Map) Index(id string) int {
	return slices.IndexFunc(m.Nodes, func(n Node) bool { return n.ID == id })
}

// IndexOfAddr returns the index of the node at host:port addr, -1 when
// there is none.
func (m *Map) IndexOfAddr(addr string) int {
	return slices.IndexFunc(m.Nodes, func(n Node) bool { return n.Addr() == addr })
}

// Ranges returns the runs of consecutive slots, in slot order, for which
// of(slot) is node.
func (m *Map) Ranges(node int, of func(slot int) int) []Range {
	var out []Range
	for s := 0; s < Slots; s++ {
		if of(s) != node {
			continue
		}
		if n := len(out); n > 0 && out[n-1].Last == s-1 {
			out[n-1].Last = s
		} else {
			out = append(out, Range{s, s})
		}
	}
	return out
}

// Args returns m as Parse reads it:
//
//	version NODE id host:port slots [NODE ...] [MIGRATING slots to-id ...]
//
// where slots is a comma-separated list of slots and ranges ("0-5460,
// 5462"), empty for a node that owns none.
func (m *Map) Args() []string {
	args := []string{strconv.FormatUint(m.Version, 10)}
	for i := range m.Nodes {
		args = append(args, "NODE", m.Nodes[i].ID, m.Nodes[i].Addr(), FormatRanges(m.Ranges(i, m.Owner)))
	}
	for i := range m.Nodes {
		if r := m.Ranges(i, m.MigratingTo); len(r) > 0 {
			args = append(args, "MIGRATING", FormatRanges(r), m.Nodes[i].ID)
		}
	}
	return args
}

// Parse reads a map written as Map.Args writes it. Keywords are
// case-insensitive. Every slot must have exactly one owner; a migrating
// slot moves to a node other than its owner; ids and addresses are
// unique. Errors wrap ErrInvalidMap and say what is wrong.
func Parse(args []string) (*Map, error) {
	if len(args) == 0 {
		return nil, invalid("no version")
	}
	v, err := strconv.ParseUint(args[0], 10, 64)
	if err != nil || v == 0 {
		return nil, invalid("version %q is not a positive integer", args[0])
	}
	m := &Map{Version: v}
	for i := range m.owner {
		m.owner[i], m.migrating[i] = -1, -1
	}
	type move struct {
		ranges []Range
		to     string
	}
	var moves []move
	for rest := args[1:]; len(rest) > 0; {
		switch kw := strings.ToUpper(rest[0]); {
		case kw == "NODE" && len(rest) >= 4:
			if err := m.addNode(rest[1], rest[2], rest[3]); err != nil {
				return nil, err
			}
			rest = rest[4:]
		case kw == "MIGRATING" && len(rest) >= 3:
			r, err := ParseRanges(rest[1])
			if err != nil {
				return nil, err
			}
			moves = append(moves, move{r, rest[2]})
			rest = rest[3:]
		default:
			return nil, invalid("expected NODE id host:port slots or MIGRATING slots id at %q", rest[0])
		}
	}
	if len(m.Nodes) == 0 {
		return nil, invalid("no nodes")
	}
	if s := slices.Index(m.owner[:], -1); s >= 0 {
		return nil, invalid("slot %d has no owner", s)
	}
	for _, mv := range moves {
		to := m.Index(mv.to)
		if to < 0 {
			return nil, invalid("slots migrate to unknown node %q", mv.to)
		}
		for _, r := range mv.ranges {
			for s := r.First; s <= r.Last; s++ {
				switch {
				case m.migrating[s] >= 0:
					return nil, invalid("slot %d migrates twice", s)
				case int(m.owner[s]) == to:
					return nil, invalid("slot %d migrates to its owner %q", s, mv.to)
				}
				m.migrating[s] = int16(to)
			}
		}
	}
	return m, nil
}

// addNode adds a NODE entry to m.
func (m *Map) addNode(id, addr, slots string) error {
	if !validID(id) {
		return invalid("node id %q: want 1 to %d letters, digits, '-', '_' or '.'", id, maxIDLen)
	}
	if m.Index(id) >= 0 {
		return invalid("node id %q given twice", id)
	}
	host, p, err := net.SplitHostPort(addr)
	port, perr := strconv.Atoi(p)
	if err != nil || host == "" || perr != nil || port < 1 || port > 65535 {
		return invalid("node %q: address %q is not host:port", id, addr)
	}
	n := Node{ID: id, Host: host, Port: port}
	if m.IndexOfAddr(n.Addr()) >= 0 {
		return invalid("address %s given twice", n.Addr())
	}
	ranges, err := ParseRanges(slots)
	if err != nil {
		return err
	}
	idx := int16(len(m.Nodes))
	for _, r := range ranges {
		for s := r.First; s <= r.Last; s++ {
			if o := m.owner[s]; o >= 0 {
				return invalid("slot %d is owned by both %q and %q", s, m.Nodes[o].ID, id)
			}
			m.owner[s] = idx
		}
	}
	m.Nodes = append(m.Nodes, n)
	return nil
}

func validID(id string) bool {
	if id == "" || len(id) > maxIDLen {
		return false
	}
	for _, c := range []byte(id) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// ParseRanges reads a comma-separated list of slots and slot ranges
// ("0-5460,5462"); "" is no slots. Errors wrap ErrInvalidMap.
func ParseRanges(s string) ([]Range, error) {
	if s == "" {
		return nil, nil
	}
	var out []Range
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		if !isRange {
			hi = lo
		}
		first, err1 := parseSlot(lo)
		last, err2 := parseSlot(hi)
		if err1 != nil || err2 != nil || first > last {
			return nil, invalid("slot range %q: want a slot or first-last, from 0 to %d", part, Slots-1)
		}
		out = append(out, Range{first, last})
	}
	return out, nil
}

// parseSlot reads a slot number, 0 to Slots-1.
func parseSlot(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n >= Slots {
		return 0, ErrInvalidMap
	}
	return n, nil
}

// FormatRanges writes ranges as ParseRanges reads them.
func FormatRanges(ranges []Range) string {
	var b strings.Builder
	for i, r := range ranges {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(r.First))
		if r.Last != r.First {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(r.Last))
		}
	}
	return b.String()
}

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidMap, fmt.Sprintf(format, a...))
}

// Migrate returns a copy of m at version with the slots in ranges
// migrating to node to, their owners keeping them meanwhile: the first
// map of a move. Slots to owns already are left alone. It fails when to
// is unknown, and when other slots are migrating (a move not finished).
func (m *Map) Migrate(version uint64, ranges []Range, to string) (*Map, error) {
	dst := m.Index(to)
	if dst < 0 {
		return nil, invalid("unknown node %q", to)
	}
	out := *m
	out.Version = version
	in := inRanges(ranges)
	for s := range Slots {
		switch {
		case m.migrating[s] >= 0 && (!in(s) || int(m.migrating[s]) != dst):
			return nil, invalid("slot %d is migrating to %q: finish that move first", s, m.Nodes[m.migrating[s]].ID)
		case in(s) && int(m.owner[s]) != dst:
			out.migrating[s] = int16(dst)
		}
	}
	return &out, nil
}

// Assign returns a copy of m at version with the slots in ranges owned by
// node to and no slot migrating: the last map of a move.
func (m *Map) Assign(version uint64, ranges []Range, to string) (*Map, error) {
	dst := m.Index(to)
	if dst < 0 {
		return nil, invalid("unknown node %q", to)
	}
	out := *m
	out.Version = version
	in := inRanges(ranges)
	for s := range Slots {
		if in(s) {
			out.owner[s] = int16(dst)
		}
		out.migrating[s] = -1
	}
	return &out, nil
}

// inRanges returns a test of whether a slot is in ranges.
func inRanges(ranges []Range) func(slot int) bool {
	return func(s int) bool {
		return slices.ContainsFunc(ranges, func(r Range) bool { return s >= r.First && s <= r.Last })
	}
}
