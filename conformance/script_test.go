package conformance

// Script files: parsing the cases and their recorded replies, and writing
// them back with new replies. The format is described in doc.go.

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

// stepKind says what a step sends and how its reply is read.
type stepKind int

const (
	stepCommand stepKind = iota // a command sent as a RESP multibulk
	stepRaw                     // raw bytes, n replies read
	stepInline                  // an inline command
	stepEOF                     // expects the connection closed
	stepScan                    // a full SCAN iteration
	stepCleanup                 // run on the harness's connection after the case
	stepSend                    // a command sent without reading its reply
	stepRecv                    // replies read without sending anything
	stepBlocked                 // waits until the server has n blocked clients
	stepBusy                    // waits until the server answers BUSY
	stepDial                    // opens the connection from a local address
)

// step is one line of a case.
type step struct {
	line     int    // 1-based line in the file, for messages
	text     string // the line as written
	conn     int    // 1-based connection of the case
	pipe     bool   // sent in one write with the steps that follow
	kind     stepKind
	args     []string // command arguments (stepCommand, stepScan, stepCleanup)
	raw      string   // bytes sent (stepRaw, stepInline)
	replies  int      // replies read (stepRaw, stepRecv)
	blocked  int      // blocked clients awaited (stepBlocked)
	from     string   // the local address to connect from (stepDial)
	cmp      comparison
	golden   string // the recorded reply
	recorded bool   // golden was present in the file
}

// testCase is a named sequence of steps run on fresh connections.
type testCase struct {
	name  string
	line  int
	resp3 bool
	steps []*step
}

// scriptFile is one testdata file: its lines other than replies, kept as
// written so recording rewrites only the replies.
type scriptFile struct {
	path   string
	name   string // the file's base name without extension: the family
	lines  []string
	stepAt map[int]*step // index in lines -> the step on that line
	cases  []*testCase
}

// replyIndent starts every reply line.
const replyIndent = "  "

// parseScript parses a script file's text.
func parseScript(path, text string) (*scriptFile, error) {
	f := &scriptFile{path: path, stepAt: map[int]*step{}}
	base := path[strings.LastIndex(path, "/")+1:]
	f.name = strings.TrimSuffix(base, ".txt")
	names := map[string]bool{}
	var cur *testCase
	var last *step
	var pipeOpen bool
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		lineNo := i + 1
		fail := func(format string, a ...any) error {
			return fmt.Errorf("%s:%d: %s", path, lineNo, fmt.Sprintf(format, a...))
		}
		if strings.HasPrefix(line, replyIndent) {
			if last == nil || !last.expectsReply() {
				return nil, fail("reply line without a step above it")
			}
			s, err := unquoteReplyLine(line[len(replyIndent):])
			if err != nil {
				return nil, fail("%v", err)
			}
			last.golden += s + "\r\n"
			last.recorded = true
			continue
		}
		f.lines = append(f.lines, line)
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "" || strings.HasPrefix(trimmed, "#"):
			continue
		case strings.HasPrefix(line, "==="):
			if pipeOpen {
				return nil, fail("case ends inside a pipeline")
			}
			words := strings.Fields(strings.TrimPrefix(line, "==="))
			if len(words) == 0 {
				return nil, fail("case without a name")
			}
			cur = &testCase{name: words[0], line: lineNo}
			for _, opt := range words[1:] {
				if opt != "resp3" {
					return nil, fail("unknown case option %q", opt)
				}
				cur.resp3 = true
			}
			if names[cur.name] {
				return nil, fail("case %q defined twice", cur.name)
			}
			names[cur.name] = true
			f.cases = append(f.cases, cur)
			last = nil
			continue
		}
		if cur == nil {
			return nil, fail("step before the first case header")
		}
		s, err := parseStep(line)
		if err != nil {
			return nil, fail("%v", err)
		}
		s.line = lineNo
		if pipeOpen && !s.pipelines() {
			return nil, fail("%s cannot end a pipeline", strings.Fields(line)[0])
		}
		if s.pipe && !s.pipelines() {
			return nil, fail("only commands, !raw and !inline can be pipelined")
		}
		if pipeOpen && s.conn != last.conn {
			return nil, fail("a pipeline must stay on one connection")
		}
		pipeOpen = s.pipe
		cur.steps = append(cur.steps, s)
		f.stepAt[len(f.lines)-1] = s
		last = s
	}
	if pipeOpen {
		return nil, fmt.Errorf("%s: file ends inside a pipeline", path)
	}
	return f, nil
}

// parseStep parses one step line.
func parseStep(line string) (*step, error) {
	s := &step{text: line, conn: 1}
	rest := strings.TrimSpace(line)
	if strings.HasPrefix(rest, "|") {
		s.pipe = true
		rest = strings.TrimSpace(rest[1:])
	}
	if strings.HasPrefix(rest, "@") {
		sp := strings.IndexByte(rest, ' ')
		if sp < 0 {
			return nil, fmt.Errorf("connection prefix without a step")
		}
		n, err := strconv.Atoi(rest[1:sp])
		if err != nil || n < 1 || n > 9 {
			return nil, fmt.Errorf("bad connection %q: want @1 to @9", rest[:sp])
		}
		s.conn = n
		rest = strings.TrimSpace(rest[sp:])
	}
	if strings.HasPrefix(rest, "!inline ") {
		s.kind = stepInline
		s.raw = strings.TrimPrefix(rest, "!inline ") + "\r\n"
		s.replies = 1
		return s, nil
	}
	words, cmpWords, err := splitArgs(rest)
	if err != nil {
		return nil, err
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("empty step")
	}
	if s.cmp, err = parseComparison(cmpWords); err != nil {
		return nil, err
	}
	switch words[0].text {
	case "!raw":
		s.kind = stepRaw
		s.replies = 1
		w := words[1:]
		if len(w) > 0 && !w[0].quoted && !strings.HasPrefix(w[0].text, "*") {
			n, err := strconv.Atoi(w[0].text)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("!raw: bad reply count %q", w[0].text)
			}
			s.replies, w = n, w[1:]
		}
		if s.raw, err = rawBytes(w); err != nil {
			return nil, err
		}
	case "!eof":
		s.kind = stepEOF
		if len(words) != 1 {
			return nil, fmt.Errorf("!eof takes no arguments")
		}
	case "!scan":
		s.kind = stepScan
		s.args = texts(words[1:])
	case "!cleanup":
		s.kind = stepCleanup
		s.args = texts(words[1:])
		if len(s.args) == 0 || s.conn != 1 {
			return nil, fmt.Errorf("!cleanup wants a command and no connection prefix")
		}
	case "!send":
		s.kind = stepSend
		if s.args = texts(words[1:]); len(s.args) == 0 {
			return nil, fmt.Errorf("!send wants a command")
		}
	case "!recv":
		s.kind = stepRecv
		s.replies = 1
		if len(words) > 2 {
			return nil, fmt.Errorf("!recv wants at most a reply count")
		}
		if len(words) == 2 {
			n, err := strconv.Atoi(words[1].text)
			if err != nil || n < 1 || words[1].quoted {
				return nil, fmt.Errorf("!recv: bad reply count %q", words[1].text)
			}
			s.replies = n
		}
	case "!blocked":
		s.kind = stepBlocked
		if len(words) != 2 || s.conn != 1 {
			return nil, fmt.Errorf("!blocked wants a client count and no connection prefix")
		}
		n, err := strconv.Atoi(words[1].text)
		if err != nil || n < 0 || words[1].quoted {
			return nil, fmt.Errorf("!blocked: bad client count %q", words[1].text)
		}
		s.blocked = n
	case "!busy":
		s.kind = stepBusy
		if len(words) != 1 || s.conn != 1 {
			return nil, fmt.Errorf("!busy wants no arguments and no connection prefix")
		}
	case "!dial":
		s.kind = stepDial
		if len(words) != 2 || net.ParseIP(words[1].text) == nil {
			return nil, fmt.Errorf("!dial wants a local IP address")
		}
		s.from = words[1].text
	default:
		if strings.HasPrefix(words[0].text, "!") && !words[0].quoted {
			return nil, fmt.Errorf("unknown directive %s", words[0].text)
		}
		s.kind = stepCommand
		s.args = texts(words)
	}
	if s.kind != stepCommand && s.kind != stepRaw && s.kind != stepRecv && s.cmp.name != "" {
		return nil, fmt.Errorf("%s compares exactly only", words[0].text)
	}
	return s, nil
}

// pipelines reports whether the step may be part of a pipeline: it sends
// something and reads what it sent in order.
func (s *step) pipelines() bool {
	return s.kind == stepCommand || s.kind == stepRaw || s.kind == stepInline
}

// expectsReply reports whether a step has a reply to compare.
func (s *step) expectsReply() bool {
	switch s.kind {
	case stepCleanup, stepSend, stepBlocked, stepBusy, stepDial:
		return false
	case stepRaw:
		return s.replies > 0
	}
	return true
}

// maxRawBytes bounds what one !raw step sends.
const maxRawBytes = 8 << 20

// rawBytes joins !raw's Go strings; "*N" after a string repeats it N times
// in all, for requests too big to write out.
func rawBytes(ws []word) (string, error) {
	const usage = `!raw wants [n] "bytes" ["bytes" [*N]]...`
	var b strings.Builder
	for i, w := range ws {
		switch {
		case w.quoted:
			b.WriteString(w.text)
		case strings.HasPrefix(w.text, "*") && i > 0 && ws[i-1].quoted:
			n, err := strconv.Atoi(w.text[1:])
			if err != nil || n < 1 || b.Len()+(n-1)*len(ws[i-1].text) > maxRawBytes {
				return "", fmt.Errorf("!raw: bad repeat %q", w.text)
			}
			b.WriteString(strings.Repeat(ws[i-1].text, n-1))
		default:
			return "", fmt.Errorf(usage)
		}
	}
	if b.Len() == 0 {
		return "", fmt.Errorf(usage)
	}
	return b.String(), nil
}

// word is one argument of a step line.
type word struct {
	text   string
	quoted bool
}

func texts(ws []word) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.text
	}
	return out
}

// splitArgs splits a step line into words, and the comparison words that
// start at the first unquoted word beginning with '~'.
func splitArgs(s string) (args, cmp []word, err error) {
	var out []word
	cmpAt := -1
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			break
		}
		if s[0] == '"' {
			q, err := strconv.QuotedPrefix(s)
			if err != nil {
				return nil, nil, fmt.Errorf("bad quoted argument at %.20q", s)
			}
			text, _ := strconv.Unquote(q)
			out = append(out, word{text: text, quoted: true})
			s = s[len(q):]
			if s != "" && s[0] != ' ' && s[0] != '\t' {
				return nil, nil, fmt.Errorf("quoted argument followed by %.10q", s)
			}
			continue
		}
		end := strings.IndexAny(s, " \t")
		if end < 0 {
			end = len(s)
		}
		if cmpAt < 0 && s[0] == '~' {
			cmpAt = len(out)
		}
		out = append(out, word{text: s[:end]})
		s = s[end:]
	}
	if cmpAt < 0 {
		return out, nil, nil
	}
	return out[:cmpAt], out[cmpAt:], nil
}

// unquoteReplyLine decodes one reply line as the recorder wrote it.
func unquoteReplyLine(s string) (string, error) {
	if strings.HasPrefix(s, `"`) {
		u, err := strconv.Unquote(s)
		if err != nil {
			return "", fmt.Errorf("bad quoted reply line %s", s)
		}
		return u, nil
	}
	return s, nil
}

// replyLines splits a raw reply into the lines the recorder writes. The
// split on CRLF is lossless because every complete reply ends with CRLF.
func replyLines(raw string) []string {
	parts := strings.Split(strings.TrimSuffix(raw, "\r\n"), "\r\n")
	for i, p := range parts {
		if needsQuote(p) {
			parts[i] = strconv.Quote(p)
		}
	}
	return parts
}

func needsQuote(s string) bool {
	if s == "" || s[0] == '"' || s[len(s)-1] == ' ' {
		return true
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return true
		}
	}
	return false
}

// render returns the file's text with every step's current golden.
func (f *scriptFile) render() string {
	var b strings.Builder
	for i, line := range f.lines {
		b.WriteString(line)
		b.WriteByte('\n')
		s := f.stepAt[i]
		if s == nil || s.kind == stepCleanup || s.golden == "" {
			continue
		}
		for _, l := range replyLines(s.golden) {
			b.WriteString(replyIndent)
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// loadScripts parses every script file in dir.
func loadScripts(dir string) ([]*scriptFile, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []*scriptFile
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".txt") {
			continue
		}
		path := dir + "/" + e.Name()
		text, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		f, err := parseScript(path, string(text))
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}
