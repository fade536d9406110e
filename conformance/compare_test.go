package conformance

// Comparisons of a reply with its golden: exact by default, or one of the
// named looser comparisons described in doc.go.

import (
	"bytes"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/stratakv/strata/internal/rdb"
)

// comparison is how a step's reply is compared with its golden.
type comparison struct {
	name   string   // "" for exact
	args   []string // the comparison's arguments
	lo, hi int64    // ~int bounds
}

// parseComparison parses the '~' words of a step line.
func parseComparison(ws []word) (comparison, error) {
	if len(ws) == 0 {
		return comparison{}, nil
	}
	c := comparison{name: strings.TrimPrefix(ws[0].text, "~"), args: texts(ws[1:])}
	want := func(ok bool, usage string) error {
		if !ok {
			return fmt.Errorf("~%s wants %s", c.name, usage)
		}
		return nil
	}
	switch c.name {
	case "sorted", "type", "monitor", "dump":
		return c, want(len(c.args) == 0, "no arguments")
	case "int":
		if err := want(len(c.args) == 2, "LO HI"); err != nil {
			return c, err
		}
		var err1, err2 error
		c.lo, err1 = strconv.ParseInt(c.args[0], 10, 64)
		c.hi, err2 = strconv.ParseInt(c.args[1], 10, 64)
		return c, want(err1 == nil && err2 == nil && c.lo <= c.hi, "integers LO <= HI")
	case "oneof", "info", "kv":
		return c, want(len(c.args) > 0, "at least one argument")
	case "map", "maps":
		return c, nil
	case "save":
		return c, want(len(c.args) == 1, "one NAME")
	case "strata":
		return c, want(len(ws) == 2 && ws[1].quoted, `one "RAW" reply`)
	}
	return c, fmt.Errorf("unknown comparison ~%s", c.name)
}

// check compares a reply with its golden; strata says whether Strata (not
// Redis) replied, for ~strata.
func (c comparison) check(golden, actual string, strata bool) error {
	switch c.name {
	case "":
		return exact(golden, actual)
	case "strata":
		if strata {
			return exact(c.args[0], actual)
		}
		return exact(golden, actual)
	}
	g, err := parseReply(golden)
	if err != nil {
		return fmt.Errorf("golden: %v", err)
	}
	a, err := parseReply(actual)
	if err != nil {
		return fmt.Errorf("%v (reply %q)", err, actual)
	}
	if err := c.checkParsed(g, a); err != nil {
		return fmt.Errorf("~%s: %v\n\twant like %q\n\tgot       %q", c.name, err, golden, actual)
	}
	return nil
}

func exact(want, got string) error {
	if want == got {
		return nil
	}
	if len(want) <= diffContext*2 && len(got) <= diffContext*2 {
		return fmt.Errorf("\n\twant %q\n\tgot  %q", want, got)
	}
	// Long replies (COMMAND INFO, say): show where they part.
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	from := max(0, i-diffContext)
	return fmt.Errorf("first difference at byte %d of %d (got %d bytes)\n\twant ...%q...\n\tgot  ...%q...",
		i, len(want), len(got), want[from:min(len(want), i+diffContext)], got[from:min(len(got), i+diffContext)])
}

// diffContext is how many bytes around the first difference of two long
// replies a failure shows.
const diffContext = 120

func (c comparison) checkParsed(g, a *node) error {
	switch c.name {
	case "monitor":
		if a.typ != '+' || g.typ != '+' || monitorLine(a.str) != monitorLine(g.str) {
			return fmt.Errorf("different MONITOR lines")
		}
	case "sorted":
		if !isAggregate(a) || a.typ != g.typ {
			return fmt.Errorf("want an aggregate of type %q", g.typ)
		}
		if !slices.Equal(sortedRaws(g.kids), sortedRaws(a.kids)) {
			return fmt.Errorf("different elements")
		}
	case "type", "save":
		if !sameShape(g, a) {
			return fmt.Errorf("different types or lengths")
		}
	case "int":
		if a.typ != ':' {
			return fmt.Errorf("not an integer")
		}
		n, err := strconv.ParseInt(a.str, 10, 64)
		if err != nil || n < c.lo || n > c.hi {
			return fmt.Errorf("%s not in [%d, %d]", a.str, c.lo, c.hi)
		}
	case "oneof":
		if a.typ != '$' || !slices.Contains(c.args, a.str) {
			return fmt.Errorf("not a bulk string among %q", c.args)
		}
	case "info":
		if a.typ != g.typ {
			return fmt.Errorf("type %q, want %q", a.typ, g.typ)
		}
		return checkInfo(a.text(), c.args)
	case "kv":
		if a.typ != g.typ {
			return fmt.Errorf("type %q, want %q", a.typ, g.typ)
		}
		return checkKV(g.text(), a.text(), c.args)
	case "map":
		return checkMap(g, a, c.args)
	case "maps":
		if a.typ != '*' || g.typ != '*' || len(a.kids) != len(g.kids) {
			return fmt.Errorf("want an array of %d maps", len(g.kids))
		}
		for i := range g.kids {
			if err := checkMap(g.kids[i], a.kids[i], c.args); err != nil {
				return fmt.Errorf("element %d: %v", i+1, err)
			}
		}
	case "dump":
		return checkDump(g, a)
	}
	return nil
}

// checkDump compares two DUMP payloads by the values they hold (see
// dumpValue): the same RDB type, and the same value.
func checkDump(g, a *node) error {
	if g.typ != '$' || a.typ != '$' || g.null || a.null {
		return fmt.Errorf("want a payload, a bulk string")
	}
	want, err := dumpValue(g.str)
	if err != nil {
		return fmt.Errorf("golden: %v", err)
	}
	got, err := dumpValue(a.str)
	if err != nil {
		return err
	}
	if !reflect.DeepEqual(got, want) {
		return fmt.Errorf("holds %+v, want %+v", got, want)
	}
	return nil
}

// dumpValue decodes a DUMP payload for ~dump: a set's members and a
// hash's fields sorted (a hashtable's order is the server's own), and a
// stream without its deleted entries or its delivery and seen times.
func dumpValue(payload string) (*rdb.Object, error) {
	o, err := rdb.Load([]byte(payload))
	if err != nil {
		return nil, err
	}
	switch o.Type {
	case rdb.TypeSet:
		slices.SortFunc(o.Set, bytes.Compare)
	case rdb.TypeHash:
		slices.SortFunc(o.Hash, func(a, b rdb.HashField) int { return bytes.Compare(a.Field, b.Field) })
	case rdb.TypeStreamListpacks2:
		for i := range o.Stream.Nodes {
			n := &o.Stream.Nodes[i]
			n.Entries = slices.DeleteFunc(n.Entries, func(e rdb.StreamEntry) bool { return e.Deleted })
		}
		for i := range o.Stream.Groups {
			g := &o.Stream.Groups[i]
			for j := range g.Pending {
				g.Pending[j].DeliveryTime = 0
			}
			for j := range g.Consumers {
				g.Consumers[j].SeenTime = 0
			}
		}
	}
	return o, nil
}

func isAggregate(n *node) bool { return strings.IndexByte("*~%>", n.typ) >= 0 && !n.null }

func sortedRaws(ns []*node) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.raw
	}
	slices.Sort(out)
	return out
}

// sameShape reports whether two replies have the same types and aggregate
// lengths throughout, whatever their values.
// monitorPrefix is a MONITOR line's time and client address.
var monitorPrefix = regexp.MustCompile(`^\d+\.\d{6} \[(\d+) ([^\]]+)\] `)

// monitorLine returns a MONITOR line with its time dropped and its
// client's address as "client" (a script's "lua" stays).
func monitorLine(s string) string {
	m := monitorPrefix.FindStringSubmatch(s)
	if m == nil {
		return s
	}
	who := "client"
	if m[2] == "lua" {
		who = "lua"
	}
	return "[" + m[1] + " " + who + "] " + s[len(m[0]):]
}

func sameShape(a, b *node) bool {
	if a.typ != b.typ || len(a.kids) != len(b.kids) {
		return false
	}
	if a.null != b.null {
		return false
	}
	for i := range a.kids {
		if !sameShape(a.kids[i], b.kids[i]) {
			return false
		}
	}
	return true
}

// checkInfo checks INFO text for fields ("f" or "f=v") and section
// headers ("#Section").
func checkInfo(text string, want []string) error {
	lines := strings.Split(text, "\r\n")
	var missing []string
	for _, w := range want {
		if !slices.ContainsFunc(lines, func(l string) bool { return infoLineMatches(l, w) }) {
			missing = append(missing, w)
		}
	}
	if missing != nil {
		return fmt.Errorf("missing %q", missing)
	}
	return nil
}

// infoLineMatches reports whether an INFO line is what w asks for: a
// section header (#Section), a field with subfields (f:a=1,b: see
// subfieldsMatch), a field with a value (f=v) or a field (f).
func infoLineMatches(line, w string) bool {
	switch {
	case strings.HasPrefix(w, "#"):
		return line == "# "+w[1:]
	case strings.Contains(w, ":"):
		f, subs, _ := strings.Cut(w, ":")
		value, ok := strings.CutPrefix(line, f+":")
		return ok && subfieldsMatch(value, subs)
	case strings.Contains(w, "="):
		f, v, _ := strings.Cut(w, "=")
		return line == f+":"+v
	}
	return strings.HasPrefix(line, w+":")
}

// subfieldsMatch reports whether an INFO value made of comma-separated
// k=v subfields (commandstats, latencystats) has exactly the subfields
// want names, in its order: "a=1" compares the value, "a" only the name,
// for numbers that differ from run to run (times, percentiles).
func subfieldsMatch(value, want string) bool {
	got, names := strings.Split(value, ","), strings.Split(want, ",")
	if len(got) != len(names) {
		return false
	}
	for i, w := range names {
		k, v, hasValue := strings.Cut(got[i], "=")
		wk, wv, wantValue := strings.Cut(w, "=")
		if !hasValue || k != wk || wantValue && v != wv {
			return false
		}
	}
	return true
}

// reduce shortens a reply recorded as a golden to what the comparison
// reads: for ~info, the lines it names, so the goldens do not carry the
// recording machine's INFO. Other replies are kept whole.
func (c comparison) reduce(raw string) string {
	n, err := parseReply(raw)
	if c.name != "info" || err != nil || (n.typ != '$' && n.typ != '=') {
		return raw
	}
	var prefix string
	if n.typ == '=' {
		prefix = n.str[:len(n.str)-len(n.text())]
	}
	var kept []string
	for _, l := range strings.Split(n.text(), "\r\n") {
		if slices.ContainsFunc(c.args, func(w string) bool { return infoLineMatches(l, w) }) {
			kept = append(kept, l)
		}
	}
	body := prefix + strings.Join(kept, "\r\n") + "\r\n"
	return fmt.Sprintf("%c%d\r\n%s\r\n", n.typ, len(body), body)
}

// kvLines parses CLIENT LIST/INFO text: one client a line, fields k=v.
func kvLines(text string) []map[string]string {
	var out []map[string]string
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSuffix(l, "\r")
		if l == "" {
			continue
		}
		m := map[string]string{}
		for _, f := range strings.Fields(l) {
			k, v, _ := strings.Cut(f, "=")
			m[k] = v
		}
		out = append(out, m)
	}
	return out
}

// checkKV checks CLIENT LIST/INFO text against Redis's: every line has at
// least the fields of Redis's first line and the wanted fields, and for f=v
// some line has that value. The number of lines is not compared: a client
// that has just disconnected may still be listed for a moment.
func checkKV(golden, actual string, want []string) error {
	g, a := kvLines(golden), kvLines(actual)
	if len(a) == 0 {
		return fmt.Errorf("no lines")
	}
	var need []string
	if len(g) > 0 {
		for k := range g[0] {
			need = append(need, k)
		}
	}
	for _, w := range want {
		if k, _, hasValue := strings.Cut(w, "="); !hasValue {
			need = append(need, k)
		}
	}
	for _, line := range a {
		for _, k := range need {
			if _, ok := line[k]; !ok {
				return fmt.Errorf("field %q missing", k)
			}
		}
	}
	for _, w := range want {
		k, v, ok := strings.Cut(w, "=")
		if !ok {
			continue
		}
		if !slices.ContainsFunc(a, func(l map[string]string) bool { v2, ok := l[k]; return ok && v2 == v }) {
			return fmt.Errorf("no line with %s=%s", k, v)
		}
	}
	return nil
}

// checkMap compares a map (RESP3) or a flat array of pairs as unordered
// pairs; the values of the keys in loose are compared by shape only.
func checkMap(g, a *node, loose []string) error {
	if a.typ != g.typ || !isAggregate(a) || len(a.kids)%2 != 0 || len(g.kids)%2 != 0 {
		return fmt.Errorf("want pairs in an aggregate of type %q", g.typ)
	}
	pairs := func(n *node) map[string]*node {
		m := map[string]*node{}
		for i := 0; i < len(n.kids); i += 2 {
			m[n.kids[i].raw] = n.kids[i+1]
		}
		return m
	}
	gm, am := pairs(g), pairs(a)
	if len(gm) != len(am) {
		return fmt.Errorf("%d keys, want %d", len(am), len(gm))
	}
	for k, gv := range gm {
		av, ok := am[k]
		if !ok {
			return fmt.Errorf("key %q missing", k)
		}
		key, _ := parseReply(k)
		if slices.Contains(loose, key.text()) {
			if !sameShape(gv, av) {
				return fmt.Errorf("value of %q: %q, want the shape of %q", key.text(), av.raw, gv.raw)
			}
		} else if gv.raw != av.raw {
			return fmt.Errorf("value of %q: %q, want %q", key.text(), av.raw, gv.raw)
		}
	}
	return nil
}
