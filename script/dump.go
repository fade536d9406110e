package script

// FUNCTION DUMP and FUNCTION RESTORE's payload, in Redis 7.0's format so
// that payloads move between Redis and Strata: for each library the RDB
// opcode FUNCTION2 (245) and its code as an RDB string, then the RDB
// version (10, two bytes little-endian) and the CRC64 (Jones, as Redis's
// crc64.c) of everything before it, eight bytes little-endian.
//
// Redis writes a code longer than 20 bytes LZF-compressed when that makes
// it shorter; Strata writes it plain, which Redis reads as well, and reads
// both.

import (
	"encoding/binary"
	"errors"
	"slices"
	"strconv"
)

// RDB constants of Redis 7.0.
const (
	rdbVersion           = 10
	rdbOpcodeFunction2   = 245
	rdbOpcodeFunctionPre = 246 // 7.0's release candidates' format
	rdbEncLZF            = 3
)

// RestorePolicy is FUNCTION RESTORE's policy for the libraries it loads.
type RestorePolicy int

// Restore policies.
const (
	// RestoreAppend adds the payload's libraries and fails on a name
	// already taken (the default).
	RestoreAppend RestorePolicy = iota
	// RestoreReplace adds them, replacing libraries of the same name.
	RestoreReplace
	// RestoreFlush replaces every library with the payload's.
	RestoreFlush
)

// DumpLibraries returns FUNCTION DUMP's payload of every library, by
// name.
func (e *Engine) DumpLibraries() []byte {
	var b []byte
	for _, l := range e.Libraries() {
		b = append(b, rdbOpcodeFunction2)
		b = appendRDBString(b, l.code)
	}
	b = binary.LittleEndian.AppendUint16(b, rdbVersion)
	return binary.LittleEndian.AppendUint64(b, crc64(0, b))
}

// RestoreLibraries is FUNCTION RESTORE: it loads the libraries of payload
// as policy says, all or none. It returns a *ReplyError with Redis's
// reply when the payload is not one, or a library in it does not load or
// collides with another. Like LoadLibrary it runs Lua.
func (e *Engine) RestoreLibraries(payload []byte, policy RestorePolicy) error {
	codes, err := parseDump(payload)
	if err != nil {
		return err
	}
	loaded := newRegistry()
	for _, code := range codes {
		name, skip, err := parseLibraryHeader(code)
		if err != nil {
			return err
		}
		if loaded.libs[name] != nil {
			return replyError(msgLibExists, name)
		}
		l, err := e.compileLibrary(name, code, skip, 0)
		if err != nil {
			return err
		}
		if err := loaded.add(l, false); err != nil {
			return err
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if policy == RestoreFlush {
		e.fns = loaded
		return nil
	}
	return e.fns.join(loaded, policy == RestoreReplace)
}

// join adds src's libraries to g as Redis's libraryJoin: a library whose
// name g has fails the join unless replace, and a function whose name
// another library of g has fails it; then g is left as it was.
func (g *registry) join(src registry, replace bool) error {
	var replaced []*Library
	restore := func() {
		for _, l := range replaced {
			g.link(l)
		}
	}
	names := make([]string, 0, len(src.libs))
	for name := range src.libs {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if old := g.libs[name]; old != nil {
			if !replace {
				restore()
				return replyError(msgLibExistsRestore, name)
			}
			g.unlink(old)
			replaced = append(replaced, old)
		}
	}
	for _, name := range names {
		if err := g.collision(src.libs[name]); err != nil {
			restore()
			return err
		}
	}
	for _, name := range names {
		g.link(src.libs[name])
	}
	return nil
}

// errBadString is a malformed RDB string in a payload.
var errBadString = errors.New("script: malformed RDB string")

// parseDump checks a payload's version and checksum, as Redis's
// verifyDumpPayload, and returns the libraries' codes.
func parseDump(p []byte) ([][]byte, error) {
	if len(p) < 10 {
		return nil, replyError(msgRestorePayload)
	}
	footer := p[len(p)-10:]
	if binary.LittleEndian.Uint16(footer) > rdbVersion || binary.LittleEndian.Uint64(footer[2:]) != crc64(0, p[:len(p)-8]) {
		return nil, replyError(msgRestorePayload)
	}
	body := p[:len(p)-10]
	var codes [][]byte
	for len(body) > 0 {
		switch body[0] {
		case rdbOpcodeFunction2:
		case rdbOpcodeFunctionPre:
			return nil, replyError(msgRestorePreGA)
		default:
			return nil, replyError(msgRestoreType)
		}
		code, rest, err := readRDBString(body[1:])
		if err != nil {
			return nil, replyError(msgRestoreLoadString)
		}
		codes, body = append(codes, code), rest
	}
	return codes, nil
}

// appendRDBString appends s as an RDB string, uncompressed (Redis's
// rdbSaveRawString without LZF; a library's code is never an integer).
func appendRDBString(b, s []byte) []byte {
	return append(appendRDBLen(b, uint64(len(s))), s...)
}

// appendRDBLen appends an RDB length, as Redis's rdbSaveLen.
func appendRDBLen(b []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(b, byte(n))
	case n < 1<<14:
		return append(b, byte(n>>8)|0x40, byte(n))
	case n <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(b, 0x80), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, 0x81), n)
}

// readRDBLen reads an RDB length; encoded is set for the special
// encodings (integers, LZF), n then being the encoding.
func readRDBLen(b []byte) (n uint64, encoded bool, rest []byte, err error) {
	if len(b) == 0 {
		return 0, false, nil, errBadString
	}
	switch b[0] >> 6 {
	case 0:
		return uint64(b[0] & 0x3f), false, b[1:], nil
	case 1:
		if len(b) < 2 {
			return 0, false, nil, errBadString
		}
		return uint64(b[0]&0x3f)<<8 | uint64(b[1]), false, b[2:], nil
	case 3:
		return uint64(b[0] & 0x3f), true, b[1:], nil
	}
	switch {
	case b[0] == 0x80 && len(b) >= 5:
		return uint64(binary.BigEndian.Uint32(b[1:])), false, b[5:], nil
	case b[0] == 0x81 && len(b) >= 9:
		return binary.BigEndian.Uint64(b[1:]), false, b[9:], nil
	}
	return 0, false, nil, errBadString
}

// readRDBString reads an RDB string: plain, an integer or LZF, as
// Redis's rdbGenericLoadStringObject.
func readRDBString(b []byte) (s, rest []byte, err error) {
	n, encoded, b, err := readRDBLen(b)
	if err != nil {
		return nil, nil, err
	}
	if !encoded {
		if n > uint64(len(b)) {
			return nil, nil, errBadString
		}
		return b[:n], b[n:], nil
	}
	switch n {
	case 0, 1, 2: // an int8, int16 or int32, little-endian
		size := 1 << n
		if len(b) < size {
			return nil, nil, errBadString
		}
		var v int64
		switch size {
		case 1:
			v = int64(int8(b[0]))
		case 2:
			v = int64(int16(binary.LittleEndian.Uint16(b)))
		default:
			v = int64(int32(binary.LittleEndian.Uint32(b)))
		}
		return strconv.AppendInt(nil, v, 10), b[size:], nil
	case rdbEncLZF:
		clen, _, b, err := readRDBLen(b)
		if err != nil {
			return nil, nil, err
		}
		ulen, _, b, err := readRDBLen(b)
		if err != nil || clen > uint64(len(b)) || ulen > 1<<32 {
			return nil, nil, errBadString
		}
		out, err := lzfDecompress(b[:clen], int(ulen))
		return out, b[clen:], err
	}
	return nil, nil, errBadString
}

// lzfDecompress is liblzf's lzf_decompress: in must decode to exactly n
// bytes.
func lzfDecompress(in []byte, n int) ([]byte, error) {
	out := make([]byte, 0, n)
	for i := 0; i < len(in); {
		ctrl := int(in[i])
		i++
		if ctrl < 1<<5 { // a run of ctrl+1 literal bytes
			ctrl++
			if i+ctrl > len(in) || len(out)+ctrl > n {
				return nil, errBadString
			}
			out = append(out, in[i:i+ctrl]...)
			i += ctrl
			continue
		}
		length := ctrl >> 5 // a back reference
		if length == 7 {
			if i >= len(in) {
				return nil, errBadString
			}
			length += int(in[i])
			i++
		}
		if i >= len(in) {
			return nil, errBadString
		}
		ref := len(out) - (ctrl&0x1f)<<8 - 1 - int(in[i])
		i++
		length += 2
		if ref < 0 || len(out)+length > n {
			return nil, errBadString
		}
		for j := 0; j < length; j++ { // byte by byte: the source may overlap
			out = append(out, out[ref+j])
		}
	}
	if len(out) != n {
		return nil, errBadString
	}
	return out, nil
}

// crcTable is the table of Redis's CRC64: the Jones polynomial,
// reflected, with no initial or final inversion.
var crcTable = func() (t [256]uint64) {
	const poly = 0x95ac9329ac4bc9b5 // 0xad93d23594c935a9 reflected
	for i := range t {
		crc := uint64(i)
		for range 8 {
			if crc&1 == 1 {
				crc = crc>>1 ^ poly
			} else {
				crc >>= 1
			}
		}
		t[i] = crc
	}
	return t
}()

// crc64 is Redis's crc64(crc, b).
func crc64(crc uint64, b []byte) uint64 {
	for _, c := range b {
		crc = crcTable[byte(crc)^c] ^ crc>>8
	}
	return crc
}
