package conformance

// Tests of the harness itself: the script format and the comparisons.

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestParseStep(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		kind    stepKind
		args    []string
		raw     string
		replies int
		blocked int
		from    string
		conn    int
		pipe    bool
		cmp     string
		wantErr string
	}{
		{name: "command", line: `SET k "a b\r\n"`, kind: stepCommand, args: []string{"SET", "k", "a b\r\n"}, conn: 1},
		{name: "connection", line: `@2 GET k`, kind: stepCommand, args: []string{"GET", "k"}, conn: 2},
		{name: "pipelined", line: `| @3 INCR n`, kind: stepCommand, args: []string{"INCR", "n"}, conn: 3, pipe: true},
		{name: "comparison", line: `TTL k ~int 1 100`, kind: stepCommand, args: []string{"TTL", "k"}, conn: 1, cmp: "int"},
		{name: "quoted tilde is an argument", line: `KEYS "~x"`, kind: stepCommand, args: []string{"KEYS", "~x"}, conn: 1},
		{name: "raw", line: `!raw "PING\r\n"`, kind: stepRaw, raw: "PING\r\n", replies: 1, conn: 1},
		{name: "raw with count", line: `!raw 2 "PING\r\nPING\r\n"`, kind: stepRaw, raw: "PING\r\nPING\r\n", replies: 2, conn: 1},
		{name: "raw repeated", line: `!raw 0 "*1\r\n$" "9" *3 "\r\n"`, kind: stepRaw, raw: "*1\r\n$999\r\n", conn: 1},
		{name: "raw bad repeat", line: `!raw "a" *0`, wantErr: "bad repeat"},
		{name: "raw repeat first", line: `!raw *2 "a"`, wantErr: "!raw wants"},
		{name: "inline keeps quotes", line: `!inline SET k "a b"`, kind: stepInline, raw: "SET k \"a b\"\r\n", replies: 1, conn: 1},
		{name: "eof", line: `!eof`, kind: stepEOF, conn: 1},
		{name: "scan", line: `!scan MATCH k*`, kind: stepScan, args: []string{"MATCH", "k*"}, conn: 1},
		{name: "cleanup", line: `!cleanup CONFIG SET a b`, kind: stepCleanup, args: []string{"CONFIG", "SET", "a", "b"}, conn: 1},
		{name: "send", line: `@2 !send BLPOP q 0`, kind: stepSend, args: []string{"BLPOP", "q", "0"}, conn: 2},
		{name: "send without command", line: `!send`, wantErr: "!send wants a command"},
		{name: "recv", line: `!recv`, kind: stepRecv, replies: 1, conn: 1},
		{name: "recv count", line: `@3 !recv 4`, kind: stepRecv, replies: 4, conn: 3},
		{name: "recv loosely", line: `!recv ~sorted`, kind: stepRecv, replies: 1, conn: 1, cmp: "sorted"},
		{name: "recv zero", line: `!recv 0`, wantErr: "bad reply count"},
		{name: "recv two counts", line: `!recv 1 2`, wantErr: "at most a reply count"},
		{name: "blocked", line: `!blocked 2`, kind: stepBlocked, blocked: 2, conn: 1},
		{name: "busy", line: `!busy`, kind: stepBusy, conn: 1},
		{name: "busy with arguments", line: `!busy 1`, wantErr: "!busy wants"},
		{name: "blocked on a connection", line: `@2 !blocked 1`, wantErr: "no connection prefix"},
		{name: "blocked without count", line: `!blocked`, wantErr: "wants a client count"},
		{name: "blocked bad count", line: `!blocked -1`, wantErr: "bad client count"},
		{name: "dial", line: `@2 !dial 127.0.0.2`, kind: stepDial, from: "127.0.0.2", conn: 2},
		{name: "dial without address", line: `!dial`, wantErr: "wants a local IP address"},
		{name: "dial bad address", line: `!dial localhost`, wantErr: "wants a local IP address"},
		{name: "send compares nothing", line: `!send GET k ~type`, wantErr: "compares exactly"},
		{name: "unknown directive", line: `!nope`, wantErr: "unknown directive"},
		{name: "unknown comparison", line: `GET k ~fuzzy`, wantErr: "unknown comparison"},
		{name: "int bounds", line: `TTL k ~int 9 1`, wantErr: "LO <= HI"},
		{name: "raw unquoted", line: `!raw PING`, wantErr: "bad reply count"},
		{name: "bad quote", line: `GET "k`, wantErr: "bad quoted"},
		{name: "eof compares exactly", line: `!eof ~type`, wantErr: "compares exactly"},
		{name: "bad connection", line: `@0 PING`, wantErr: "bad connection"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := parseStep(tt.line)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.kind != tt.kind || !slices.Equal(s.args, tt.args) || s.raw != tt.raw || s.replies != tt.replies ||
				s.blocked != tt.blocked || s.from != tt.from || s.conn != tt.conn || s.pipe != tt.pipe || s.cmp.name != tt.cmp {
				t.Errorf("got %+v", s)
			}
		})
	}
}

func TestScriptRoundTrip(t *testing.T) {
	const text = `# a family
=== one
SET k v
  +OK
GET k
  $1
  v

=== two resp3
| ECHO ""
  $0
  ""
ECHO "a\x00b "
  $4
  "a\x00b "
!cleanup CONFIG SET x y

=== three
@2 !send BLPOP q 0
!blocked 1
RPUSH q x
  :1
@2 !recv
  *2
  $1
  q
  $1
  x
`
	f, err := parseScript("testdata/fam.txt", text)
	if err != nil {
		t.Fatal(err)
	}
	if f.name != "fam" || len(f.cases) != 3 || !f.cases[1].resp3 {
		t.Fatalf("parsed %+v", f)
	}
	if g := f.cases[1].steps[1].golden; g != "$4\r\na\x00b \r\n" {
		t.Errorf("golden %q", g)
	}
	if got := f.render(); got != text {
		t.Errorf("render changed the file:\n%s", got)
	}
}

func TestParseScriptErrors(t *testing.T) {
	tests := []struct{ name, text, wantErr string }{
		{"step before case", "GET k\n", "before the first case"},
		{"duplicate case", "=== a\n=== a\n", "defined twice"},
		{"reply without step", "=== a\n  +OK\n", "without a step"},
		{"unknown option", "=== a resp4\n", "unknown case option"},
		{"open pipeline", "=== a\n| PING\n", "inside a pipeline"},
		{"pipeline across connections", "=== a\n| PING\n@2 PING\n", "one connection"},
		{"eof in pipeline", "=== a\n| PING\n!eof\n", "cannot end a pipeline"},
		{"recv in pipeline", "=== a\n| PING\n!recv\n", "cannot end a pipeline"},
		{"send pipelined", "=== a\n| !send PING\nPING\n", "only commands, !raw and !inline"},
		{"reply to a send", "=== a\n!send PING\n  +PONG\n", "without a step"},
		{"reply to a wait", "=== a\n!blocked 0\n  +OK\n", "without a step"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseScript("x.txt", tt.text)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestComparisons(t *testing.T) {
	info := bulk("# Server\r\nredis_version:7.0.15\r\ntcp_port:7400\r\n")
	tests := []struct {
		name           string
		cmp            string // a step line's comparison words
		golden, actual string
		strata         bool
		ok             bool
	}{
		{"exact", "", "+OK\r\n", "+OK\r\n", false, true},
		{"exact differs", "", "+OK\r\n", "+Ok\r\n", false, false},
		{"sorted", "~sorted", "*2\r\n$1\r\na\r\n$1\r\nb\r\n", "*2\r\n$1\r\nb\r\n$1\r\na\r\n", false, true},
		{"sorted differs", "~sorted", "*2\r\n$1\r\na\r\n$1\r\nb\r\n", "*2\r\n$1\r\nb\r\n$1\r\nb\r\n", false, false},
		{"int in range", "~int 95 100", ":100\r\n", ":97\r\n", false, true},
		{"int out of range", "~int 95 100", ":100\r\n", ":94\r\n", false, false},
		{"int not integer", "~int 95 100", ":100\r\n", "$2\r\n97\r\n", false, false},
		{"type", "~type", "*2\r\n$10\r\n1700000000\r\n$1\r\n5\r\n", "*2\r\n$10\r\n1800000000\r\n$2\r\n55\r\n", false, true},
		{"type null vs value", "~type", "$-1\r\n", "$2\r\n-1\r\n", false, false},
		{"oneof", "~oneof a b", "$1\r\na\r\n", "$1\r\nb\r\n", false, true},
		{"monitor", "~monitor", "+1700000000.000001 [0 127.0.0.1:1] \"GET\" \"k\"\r\n", "+1800000000.123456 [0 127.0.0.1:65535] \"GET\" \"k\"\r\n", false, true},
		{"monitor lua", "~monitor", "+1700000000.000001 [0 lua] \"get\"\r\n", "+1800000000.123456 [0 127.0.0.1:1] \"get\"\r\n", false, false},
		{"monitor db", "~monitor", "+1700000000.000001 [1 127.0.0.1:1] \"get\"\r\n", "+1700000000.000001 [0 127.0.0.1:1] \"get\"\r\n", false, false},
		{"oneof other", "~oneof a b", "$1\r\na\r\n", "$1\r\nc\r\n", false, false},
		{"info", "~info redis_version=7.0.15 tcp_port #Server", info, info, false, true},
		{"info missing field", "~info used_memory", info, info, false, false},
		{"info wrong value", "~info redis_version=7.2.0", info, info, false, false},
		{"kv", "~kv name=x db=0", bulk("id=1 name=x db=0\n"), bulk("id=9 name=x db=0 extra=1\n"), false, true},
		{"kv missing Redis field", "~kv name=x", bulk("id=1 name=x db=0\n"), bulk("id=1 name=x\n"), false, false},
		{"kv wrong value", "~kv name=x", bulk("id=1 name=x\n"), bulk("id=1 name=y\n"), false, false},
		{"map unordered", "~map", "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n", "*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\na\r\n$1\r\n1\r\n", false, true},
		{"map loose value", "~map id", "%2\r\n+id\r\n:5\r\n+p\r\n:3\r\n", "%2\r\n+p\r\n:3\r\n+id\r\n:9\r\n", false, true},
		{"map strict value", "~map id", "%2\r\n+id\r\n:5\r\n+p\r\n:3\r\n", "%2\r\n+p\r\n:2\r\n+id\r\n:9\r\n", false, false},
		{"dump same set", "~dump", bulk(setAC), bulk(setCA), false, true},
		{"dump other set", "~dump", bulk(setAC), bulk(setAB), false, false},
		{"dump not a payload", "~dump", bulk(setAC), bulk("nope"), false, false},
		{"maps", "~maps age", "*2\r\n*4\r\n$1\r\na\r\n:1\r\n$3\r\nage\r\n:5\r\n%1\r\n$3\r\nage\r\n:1\r\n",
			"*2\r\n*4\r\n$3\r\nage\r\n:9\r\n$1\r\na\r\n:1\r\n%1\r\n$3\r\nage\r\n:7\r\n", false, true},
		{"maps value differs", "~maps age", "*1\r\n*2\r\n$1\r\na\r\n:1\r\n", "*1\r\n*2\r\n$1\r\na\r\n:2\r\n", false, false},
		{"maps count differs", "~maps", "*1\r\n*0\r\n", "*2\r\n*0\r\n*0\r\n", false, false},
		{"strata deliberate", `~strata "+OK\r\n"`, "-ERR no\r\n", "+OK\r\n", true, true},
		{"strata deliberate on redis", `~strata "+OK\r\n"`, "-ERR no\r\n", "+OK\r\n", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, cmpWords, err := splitArgs("X " + tt.cmp)
			if err != nil {
				t.Fatal(err)
			}
			c, err := parseComparison(cmpWords)
			if err != nil {
				t.Fatal(err)
			}
			err = c.check(tt.golden, tt.actual, tt.strata)
			if (err == nil) != tt.ok {
				t.Errorf("check: %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// DUMP payloads of hashtable sets: {a, c} in two orders, and {a, b}.
const (
	setAC = "\x02\x02\x01a\x01c\x0a\x00@\x5ca\xeb\xc2R/\xf9"
	setCA = "\x02\x02\x01c\x01a\x0a\x00k\x04;\x18\xd5\x1d[P"
	setAB = "\x02\x02\x01a\x01b\x0a\x00\xfed!%\xeb\x03=\x0d"
)

// bulk encodes s as a RESP bulk string.
func bulk(s string) string { return "$" + strconv.Itoa(len(s)) + "\r\n" + s + "\r\n" }

func TestReduceInfo(t *testing.T) {
	c := comparison{name: "info", args: []string{"#Server", "redis_version", "tcp_port=7400"}}
	raw := bulk("# Server\r\nredis_version:7.0.15\r\nos:Linux\r\ntcp_port:7400\r\n\r\n# Clients\r\nconnected_clients:1\r\n")
	want := bulk("# Server\r\nredis_version:7.0.15\r\ntcp_port:7400\r\n")
	if got := c.reduce(raw); got != want {
		t.Fatalf("reduce: %q, want %q", got, want)
	}
	if err := c.check(want, raw, false); err != nil {
		t.Errorf("the full reply fails its reduced golden: %v", err)
	}
	verbatim := "=24\r\ntxt:redis_version:7.0.15\r\n"
	if got := c.reduce(verbatim); got != "=26\r\ntxt:redis_version:7.0.15\r\n\r\n" {
		t.Errorf("reduce verbatim: %q", got)
	}
}

func TestExactLongDiff(t *testing.T) {
	want := strings.Repeat("a", 1000) + "b" + strings.Repeat("c", 1000)
	got := strings.Repeat("a", 1000) + "X" + strings.Repeat("c", 1000)
	err := exact(want, got)
	if err == nil || !strings.Contains(err.Error(), "first difference at byte 1000") || len(err.Error()) > 800 {
		t.Fatalf("error %v", err)
	}
}

// TestDialFrom runs a case whose connection comes from 127.0.0.2, which
// protected mode turns away.
func TestDialFrom(t *testing.T) {
	f, err := parseScript("testdata/x.txt", "=== far\n@2 !dial 127.0.0.2\n@2 PING\n@2 !eof\nPING\n")
	if err != nil {
		t.Fatal(err)
	}
	s, err := newSession(target{name: "strata", addr: startStrata(t), strata: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	replies, err := s.run(f.cases[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(replies[1], "-DENIED Redis is running in protected mode") || replies[2] != replyClosed || replies[3] != "+PONG\r\n" {
		t.Errorf("replies %q", replies)
	}
}

// TestRunWaitsForOtherConnections runs, against Strata, the steps that
// wait for what another connection does: a command whose reply comes
// later (!send), the wait until it blocks (!blocked), and replies nobody
// asked for (!recv): the rest of SUBSCRIBE's and a published message.
func TestRunWaitsForOtherConnections(t *testing.T) {
	f, err := parseScript("testdata/x.txt", `=== wake
!send BLPOP q 0
!blocked 1
@2 RPUSH q x
!recv
@2 SUBSCRIBE ch other
@2 !recv
PUBLISH ch m
@2 !recv
`)
	if err != nil {
		t.Fatal(err)
	}
	s, err := newSession(target{name: "strata", addr: startStrata(t), strata: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	replies, err := s.run(f.cases[0])
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"", "", ":1\r\n", "*2\r\n$1\r\nq\r\n$1\r\nx\r\n",
		"*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n", "*3\r\n$9\r\nsubscribe\r\n$5\r\nother\r\n:2\r\n",
		":1\r\n", "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nm\r\n",
	}
	if !slices.Equal(replies, want) {
		t.Errorf("replies\n%q\nwant\n%q", replies, want)
	}
}
