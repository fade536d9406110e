package resp

// Native fuzz tests of the request parser. Plain `go test` runs only the
// seed corpus (the f.Add calls below and testdata/fuzz); to fuzz, run one
// target at a time, for example
//
//	go test ./internal/resp -run '^$' -fuzz '^FuzzReader$' -fuzztime 5m
//
// A failing input is saved under testdata/fuzz/<target>/ and then runs as a
// regression test in every `go test`.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fuzzMaxBulk is proto-max-bulk-len during fuzzing: above bigArgThreshold,
// so large bulks take the reserve path, but small enough that a declared
// length cannot make an input allocate much.
const fuzzMaxBulk = 1 << 16

// chunkReader hands out data in pieces whose sizes follow a seeded
// sequence, as a network would, then io.EOF. Seed 0 hands out as much as
// the caller asks for.
type chunkReader struct {
	data []byte
	seed uint32
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := len(p)
	if r.seed != 0 {
		n = min(n, 1+int(r.seed%61))
		r.seed = r.seed*1664525 + 1013904223
	}
	n = copy(p, r.data[:min(n, len(r.data))])
	r.data = r.data[n:]
	return n, nil
}

// parseRun is what a reader made of an input: its requests (copied, as
// they alias the reader's buffer) and the error that ended it.
type parseRun struct {
	reqs [][][]byte
	err  error
}

// readAll parses data, delivered in chunks by seed, until the reader
// fails, checking as it goes that it cannot hang or grow without bound.
func readAll(t *testing.T, data []byte, seed uint32, authed bool) parseRun {
	t.Helper()
	done := make(chan parseRun, 1)
	var maxCap int
	go func() {
		r := NewReader(&chunkReader{data: data, seed: seed}, fuzzMaxBulk, func() bool { return authed })
		var run parseRun
		// Every request takes at least two bytes ("a\n"), so more requests
		// than that means the reader is not consuming its input.
		for len(run.reqs) <= len(data)/2+1 {
			args, err := r.Next(func() error { return nil })
			maxCap = max(maxCap, cap(r.buf))
			if err != nil {
				run.err = err
				done <- run
				return
			}
			req := make([][]byte, len(args))
			for i, a := range args {
				req[i] = bytes.Clone(a)
			}
			run.reqs = append(run.reqs, req)
		}
		run.err = errors.New("more requests than the input can hold")
		done <- run
	}()
	timer := time.NewTimer(10 * time.Second)
	defer timer.Stop()
	var run parseRun
	select {
	case run = <-done:
	case <-timer.C:
		t.Fatalf("reader hangs on %q (chunk seed %d)", data, seed)
	}
	// The buffer holds at most the unconsumed input (doubling) or one
	// request reserved by its declared length, which maxBulk caps.
	if bound := 2 * (readChunk + len(data) + fuzzMaxBulk + 2); maxCap > bound {
		t.Fatalf("buffer grew to %d bytes on a %d-byte input (bound %d)", maxCap, len(data), bound)
	}
	var pe ProtocolError
	if run.err != io.EOF && !errors.As(run.err, &pe) {
		t.Fatalf("unexpected error %v", run.err)
	}
	for _, req := range run.reqs {
		if len(req) == 0 {
			t.Fatalf("empty request returned")
		}
	}
	return run
}

// sizeLimited reports whether err is one of the errors that depend on how
// much of a line has arrived (Redis's "too big ..." checks run only while
// a line's end is missing), so a run may fail where another, fed in other
// chunks, went on.
func sizeLimited(err error) bool {
	var pe ProtocolError
	return errors.As(err, &pe) && strings.HasPrefix(string(pe), "too big")
}

// encodeRESP writes args as a RESP multibulk request.
func encodeRESP(args [][]byte) []byte {
	b := fmt.Appendf(nil, "*%d\r\n", len(args))
	for _, a := range args {
		b = fmt.Appendf(b, "$%d\r\n", len(a))
		b = append(b, a...)
		b = append(b, "\r\n"...)
	}
	return b
}

// quoteInline quotes arg for an inline request as redis-cli's sdscatrepr
// does, so splitArgs reads it back whatever bytes it holds.
func quoteInline(arg []byte) []byte {
	b := []byte{'"'}
	for _, c := range arg {
		switch c {
		case '\\', '"':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		case '\a':
			b = append(b, `\a`...)
		case '\b':
			b = append(b, `\b`...)
		default:
			if c < ' ' || c > '~' {
				b = fmt.Appendf(b, `\x%02x`, c)
			} else {
				b = append(b, c)
			}
		}
	}
	return append(b, '"')
}

func equalReqs(a, b [][][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if !bytes.Equal(a[i][j], b[i][j]) {
				return false
			}
		}
	}
	return true
}

// FuzzReader feeds arbitrary bytes, in arbitrary chunks, to the request
// parser. It must not panic, hang or grow its buffer past what the input
// and proto-max-bulk-len allow; how the input is chunked must not change
// what it parses; and every request it returns, written again as RESP or
// as an inline command, must parse back to the same arguments.
func FuzzReader(f *testing.F) {
	seeds := []string{
		// Real requests, as clients and redis-benchmark send them.
		"*1\r\n$4\r\nPING\r\n",
		"*3\r\n$3\r\nSET\r\n$16\r\nkey:000000000001\r\n$3\r\nxxx\r\n*2\r\n$3\r\nGET\r\n$16\r\nkey:000000000001\r\n",
		"*2\r\n$4\r\nINCR\r\n$7\r\ncounter\r\n*5\r\n$4\r\nMSET\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$0\r\n\r\n",
		"*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n*4\r\n$6\r\nCLIENT\r\n$7\r\nSETINFO\r\n$8\r\nLIB-NAME\r\n$8\r\ngo-redis\r\n",
		"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*1\r\n$4\r\nEXEC\r\n",
		// Inline commands.
		"PING\r\n",
		"PING\n",
		"SET k \"hello world\"\r\nGET k\r\n",
		"SET 'it\\'s' \"\\x41\\n\\t\\\\\"\r\n",
		"ECHO a\"b c\"\r\n",
		"   \r\n\r\nPING\r\n",
		"SET k \"\"\r\n",
		// Empty and negative multibulks are skipped.
		"*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n",
		// Malformed.
		"*x\r\n",
		"*1\r\n$x\r\n",
		"*1\r\n+4\r\nPING\r\n",
		"*1\r\n$-1\r\n",
		"*1\r\n$-0\r\n\r\n",
		"*-0\r\n",
		"*01\r\n$4\r\nPING\r\n",
		"*+1\r\n$4\r\nPING\r\n",
		"*3000000000\r\n",
		"*9223372036854775808\r\n",
		"*1\r\n$600000000\r\n",
		"*1\r\n$70000\r\nabc",
		"*2\r\n$1\r\na\r\n",
		"*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n",
		"*1\r\r\n$4\r\nPING\r\n",
		"ECHO \"abc\r\n",
		"ECHO \"a\"b\r\n",
		"ECHO 'a\r\n",
		"ECHO a\vb\r\n",
		"ECHO \"\\x4g\"\r\n",
		"ECHO a\x00b\r\n",
		"\x00\xff\r\n",
	}
	for _, s := range seeds {
		for _, seed := range []uint32{0, 1, 7} {
			f.Add([]byte(s), seed, true)
		}
	}
	// Before AUTH, Redis allows only small multibulks and bulks.
	f.Add([]byte("*11\r\n"), uint32(0), false)
	f.Add([]byte("*1\r\n$16385\r\n"), uint32(3), false)
	f.Add([]byte("*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n"), uint32(5), false)

	f.Fuzz(func(t *testing.T, data []byte, seed uint32, authed bool) {
		whole := readAll(t, data, 0, authed)
		chunked := readAll(t, data, seed, authed)
		switch {
		case sizeLimited(whole.err) || sizeLimited(chunked.err):
			short, long := whole.reqs, chunked.reqs
			if len(short) > len(long) {
				short, long = long, short
			}
			if !equalReqs(short, long[:len(short)]) {
				t.Fatalf("chunking changed the requests before a size error:\n%q\n%q", whole.reqs, chunked.reqs)
			}
		case !equalReqs(whole.reqs, chunked.reqs) || whole.err.Error() != chunked.err.Error():
			t.Fatalf("chunking changed the result:\nwhole   %q %v\nchunked %q %v", whole.reqs, whole.err, chunked.reqs, chunked.err)
		}
		for _, req := range whole.reqs {
			// An inline argument may be longer than proto-max-bulk-len, and
			// an inline line longer than inlineMax may fail when chunked:
			// such requests cannot take the other form.
			if slices.IndexFunc(req, func(a []byte) bool { return len(a) > fuzzMaxBulk }) < 0 {
				if again := readAll(t, encodeRESP(req), seed, true); again.err != io.EOF || !equalReqs(again.reqs, [][][]byte{req}) {
					t.Fatalf("%q re-encoded as RESP parsed as %q, %v", req, again.reqs, again.err)
				}
			}
			var line []byte
			for i, a := range req {
				if i > 0 {
					line = append(line, ' ')
				}
				line = append(line, quoteInline(a)...)
			}
			line = append(line, "\r\n"...)
			if len(line) > inlineMax {
				continue
			}
			if again := readAll(t, line, seed, true); again.err != io.EOF || !equalReqs(again.reqs, [][][]byte{req}) {
				t.Fatalf("%q re-encoded inline as %q parsed as %q, %v", req, line, again.reqs, again.err)
			}
		}
	})
}

// TestReaderLimits runs FuzzReader's checks on inputs too big to be fuzz
// seeds (each execution of them is slow, and the fuzzer would spend its
// time minimizing them): lines past inlineMax and a bulk past
// bigArgThreshold, whose buffer is reserved by its declared length.
func TestReaderLimits(t *testing.T) {
	big := strings.Repeat("v", bigArgThreshold+100)
	tests := []struct {
		name    string
		data    string
		wantErr string // the final error; "" for io.EOF
		reqs    int
	}{
		{"long multibulk count", "*" + strings.Repeat("1", inlineMax+10), "too big mbulk count string", 0},
		{"long bulk count", "*1\r\n$" + strings.Repeat("1", inlineMax+10), "too big bulk count string", 0},
		{"long inline line", strings.Repeat("a", inlineMax+10), "too big inline request", 0},
		{"big bulk", "*2\r\n$4\r\nECHO\r\n$" + strconv.Itoa(len(big)) + "\r\n" + big + "\r\n*1\r\n$4\r\nPING\r\n", "", 2},
		{"bulk past proto-max-bulk-len", "*1\r\n$" + strconv.Itoa(fuzzMaxBulk+1) + "\r\n", "invalid bulk length", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, seed := range []uint32{0, 1, 7} {
				run := readAll(t, []byte(tt.data), seed, true)
				if len(run.reqs) != tt.reqs {
					t.Errorf("seed %d: %d requests, want %d", seed, len(run.reqs), tt.reqs)
				}
				var pe ProtocolError
				if tt.wantErr == "" && run.err != io.EOF || tt.wantErr != "" && (!errors.As(run.err, &pe) || string(pe) != tt.wantErr) {
					t.Errorf("seed %d: error %v, want %q", seed, run.err, tt.wantErr)
				}
			}
		})
	}
}

// redisSplitArgs is Redis 7.0's sdssplitargs (sds.c) transcribed line by
// line, the oracle FuzzSplitArgs compares splitArgs with. The end of line
// stands for C's terminating NUL.
func redisSplitArgs(line []byte) ([][]byte, bool) {
	at := func(i int) byte {
		if i < len(line) {
			return line[i]
		}
		return 0
	}
	cIsSpace := func(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' }
	args := [][]byte{}
	p := 0
	for {
		for at(p) != 0 && cIsSpace(at(p)) {
			p++
		}
		if at(p) == 0 {
			return args, true
		}
		inq, insq, done := false, false, false
		current := []byte{}
		for !done {
			c := at(p)
			switch {
			case inq:
				switch {
				case c == '\\' && at(p+1) == 'x' && isHex(at(p+2)) && isHex(at(p+3)):
					current = append(current, hexVal(at(p+2))*16+hexVal(at(p+3)))
					p += 3
				case c == '\\' && at(p+1) != 0:
					p++
					e := at(p)
					switch e {
					case 'n':
						e = '\n'
					case 'r':
						e = '\r'
					case 't':
						e = '\t'
					case 'b':
						e = '\b'
					case 'a':
						e = '\a'
					}
					current = append(current, e)
				case c == '"':
					if at(p+1) != 0 && !cIsSpace(at(p+1)) {
						return nil, false
					}
					done = true
				case c == 0:
					return nil, false
				default:
					current = append(current, c)
				}
			case insq:
				switch {
				case c == '\\' && at(p+1) == '\'':
					p++
					current = append(current, '\'')
				case c == '\'':
					if at(p+1) != 0 && !cIsSpace(at(p+1)) {
						return nil, false
					}
					done = true
				case c == 0:
					return nil, false
				default:
					current = append(current, c)
				}
			default:
				switch c {
				case ' ', '\n', '\r', '\t', 0:
					done = true
				case '"':
					inq = true
				case '\'':
					insq = true
				default:
					current = append(current, c)
				}
			}
			if at(p) != 0 {
				p++
			}
		}
		args = append(args, current)
	}
}

// FuzzSplitArgs checks inline splitting against Redis's sdssplitargs, and
// that quoting the arguments again splits back to them. Lines with a NUL
// byte are only checked for the round trip: Redis never completes such an
// inline request (it looks for the newline with strchr).
func FuzzSplitArgs(f *testing.F) {
	for _, s := range []string{
		"SET k v", "  GET   k  ", `SET k "hello world"`, `SET 'it\'s' "\x41\n\t\\"`, `ECHO a"b c"`,
		`ECHO "abc`, `ECHO "a"b`, `ECHO 'a'b`, "ECHO a\vb", "ECHO \"a\"\vb", "\vECHO", `ECHO "\x4g"`,
		`ECHO "\"`, `ECHO '\'`, `"" ''`, "a\x00b", "\xff\xfe", `ECHO "\q"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		got, ok := splitArgs(line, nil)
		if bytes.IndexByte(line, 0) < 0 {
			want, wantOK := redisSplitArgs(line)
			if ok != wantOK || ok && !equalReqs([][][]byte{got}, [][][]byte{want}) {
				t.Fatalf("splitArgs(%q) = %q, %v; Redis splits it as %q, %v", line, got, ok, want, wantOK)
			}
		}
		if !ok {
			return
		}
		var quoted []byte
		for _, a := range got {
			quoted = append(append(quoted, quoteInline(a)...), ' ')
		}
		again, ok := splitArgs(quoted, nil)
		if !ok || !equalReqs([][][]byte{again}, [][][]byte{got}) {
			t.Fatalf("splitArgs(%q) = %q, but its quoted form %q splits as %q, %v", line, got, quoted, again, ok)
		}
	})
}

// FuzzParseInt checks ParseInt against Redis's string2ll rules: an optional '-', then "0" or digits without a leading zero, in
// range of int64; nothing else.
func FuzzParseInt(f *testing.F) {
	for _, s := range []string{
		"0", "1", "-1", "42", "-0", "01", "+1", " 1", "1 ", "", "-", "1e3", "0x10",
		"9223372036854775807", "-9223372036854775808", "9223372036854775808", "-9223372036854775809",
		"18446744073709551616", "99999999999999999999",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := ParseInt(b)
		s := string(b)
		digits := strings.TrimPrefix(s, "-")
		canonical := digits == "0" && s == "0" ||
			digits != "" && digits[0] >= '1' && digits[0] <= '9' && strings.Trim(digits, "0123456789") == ""
		want, err := strconv.ParseInt(s, 10, 64)
		wantOK := canonical && err == nil
		if ok != wantOK || ok && got != want {
			t.Fatalf("ParseInt(%q) = %d, %v; want %d, %v", s, got, ok, want, wantOK)
		}
	})
}
