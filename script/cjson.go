package script

// The cjson library of scripts: cjson.encode, cjson.decode and cjson.null,
// ported from lua-cjson 2.1.0 as Redis bundles it, with its defaults: 14
// significant digits for numbers, NaN and Inf refused when encoding and
// accepted (with hex numbers) when decoding, sparse arrays refused beyond
// a ratio of 2 past index 10, 1000 levels of nesting, and its error texts.
// Object keys come out in the table's order (insertion order here, hash
// order in Redis). The configuration functions (cjson.encode_max_depth
// and the like) are not provided.

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
)

// cjson's limits (its defaults, which Redis does not change).
const (
	cjsonMaxDepth    = 1000
	cjsonSparseRatio = 2
	cjsonSparseSafe  = 10
	cjsonPrecision   = 14
)

func (vm *luaVM) newCJSONLib() *lua.LTable {
	L := vm.L
	vm.null = L.NewUserData()
	t := L.NewTable()
	t.RawSetString("encode", L.NewFunction(vm.cjsonEncode))
	t.RawSetString("decode", L.NewFunction(vm.cjsonDecode))
	t.RawSetString("null", vm.null)
	t.RawSetString("_NAME", lua.LString("cjson"))
	t.RawSetString("_VERSION", lua.LString("2.1.0"))
	return t
}

func (vm *luaVM) cjsonEncode(L *lua.LState) int {
	if L.GetTop() != 1 {
		L.RaiseError("bad argument #1 to 'encode' (expected 1 argument)")
	}
	var sb strings.Builder
	vm.jsonAppend(L, &sb, L.Get(1), 0)
	L.Push(lua.LString(sb.String()))
	return 1
}

func (vm *luaVM) jsonAppend(L *lua.LState, sb *strings.Builder, v lua.LValue, depth int) {
	switch v := v.(type) {
	case lua.LString:
		jsonAppendString(sb, string(v))
	case lua.LNumber:
		f := float64(v)
		if math.IsInf(f, 0) || math.IsNaN(f) {
			L.RaiseError("Cannot serialise number: must not be NaN or Inf")
		}
		sb.WriteString(jsonNumber(f))
	case lua.LBool:
		sb.WriteString(strconv.FormatBool(bool(v)))
	case *lua.LNilType:
		sb.WriteString("null")
	case *lua.LUserData:
		if v != vm.null {
			L.RaiseError("Cannot serialise userdata: type not supported")
		}
		sb.WriteString("null")
	case *lua.LTable:
		depth++
		if depth > cjsonMaxDepth {
			L.RaiseError("Cannot serialise, excessive nesting (%d)", depth)
		}
		t := vm.seeThrough(v)
		if n := jsonArrayLength(L, t); n > 0 {
			sb.WriteByte('[')
			for i := 1; i <= n; i++ {
				if i > 1 {
					sb.WriteByte(',')
				}
				vm.jsonAppend(L, sb, t.RawGetInt(i), depth)
			}
			sb.WriteByte(']')
			return
		}
		sb.WriteByte('{')
		first := true
		for k, val := t.Next(lua.LNil); k != lua.LNil; k, val = t.Next(k) {
			if !first {
				sb.WriteByte(',')
			}
			first = false
			switch k := k.(type) {
			case lua.LString:
				jsonAppendString(sb, string(k))
			case lua.LNumber:
				sb.WriteByte('"')
				sb.WriteString(jsonNumber(float64(k)))
				sb.WriteByte('"')
			default:
				L.RaiseError("Cannot serialise %s: table key must be a number or string", k.Type())
			}
			sb.WriteByte(':')
			vm.jsonAppend(L, sb, val, depth)
		}
		sb.WriteByte('}')
	default:
		L.RaiseError("Cannot serialise %s: type not supported", v.Type())
	}
}

// jsonArrayLength returns the length a table is encoded with as an array,
// 0 for an object, as lua-cjson's lua_array_length.
func jsonArrayLength(L *lua.LState, t *lua.LTable) int {
	maxKey, items := 0.0, 0
	for k, _ := t.Next(lua.LNil); k != lua.LNil; k, _ = t.Next(k) {
		n, ok := k.(lua.LNumber)
		if !ok || n < 1 || math.Floor(float64(n)) != float64(n) {
			return 0
		}
		maxKey = max(maxKey, float64(n))
		items++
	}
	if maxKey > float64(items*cjsonSparseRatio) && maxKey > cjsonSparseSafe {
		L.RaiseError("Cannot serialise table: excessively sparse array")
	}
	return int(maxKey)
}

// jsonNumber formats a number as lua-cjson's "%.14g".
func jsonNumber(f float64) string {
	return strconv.FormatFloat(f, 'g', cjsonPrecision, 64)
}

// jsonEscapes are lua-cjson's escapes: control characters, '"', '\\',
// '/' and DEL.
var jsonEscapes = func() [256]string {
	var e [256]string
	for c := 0; c < 0x20; c++ {
		e[c] = fmt.Sprintf(`\u%04x`, c)
	}
	e['\b'], e['\t'], e['\n'], e['\f'], e['\r'] = `\b`, `\t`, `\n`, `\f`, `\r`
	e['"'], e['\\'], e['/'], e[0x7f] = `\"`, `\\`, `\/`, `\u007f`
	return e
}()

func jsonAppendString(sb *strings.Builder, s string) {
	sb.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if esc := jsonEscapes[s[i]]; esc != "" {
			sb.WriteString(esc)
		} else {
			sb.WriteByte(s[i])
		}
	}
	sb.WriteByte('"')
}

// jsonToken kinds, named as lua-cjson names them in errors.
type jsonToken int

const (
	tObjBegin jsonToken = iota
	tObjEnd
	tArrBegin
	tArrEnd
	tString
	tNumber
	tBoolean
	tNull
	tColon
	tComma
	tEnd
	tError
)

var jsonTokenNames = [...]string{"T_OBJ_BEGIN", "T_OBJ_END", "T_ARR_BEGIN", "T_ARR_END", "T_STRING",
	"T_NUMBER", "T_BOOLEAN", "T_NULL", "T_COLON", "T_COMMA", "T_END", "T_ERROR"}

// jsonDecoder is lua-cjson's decoder: a tokenizer and a recursive parser
// that raise its errors.
type jsonDecoder struct {
	vm    *luaVM
	L     *lua.LState
	data  string
	pos   int
	depth int

	// The current token.
	kind  jsonToken
	index int        // where it starts, 0-based
	value lua.LValue // string, number or boolean
	err   string     // what went wrong, for tError
}

func (vm *luaVM) cjsonDecode(L *lua.LState) int {
	if L.GetTop() != 1 {
		L.RaiseError("bad argument #1 to 'decode' (expected 1 argument)")
	}
	data := L.CheckString(1)
	if len(data) >= 2 && (data[0] == 0 || data[1] == 0) {
		L.RaiseError("JSON parser does not support UTF-16 or UTF-32")
	}
	d := &jsonDecoder{vm: vm, L: L, data: data}
	d.next()
	v := d.parseValue()
	d.next()
	if d.kind != tEnd {
		d.fail("the end")
	}
	L.Push(v)
	return 1
}

func (d *jsonDecoder) fail(expected string) {
	found := d.err
	if d.kind != tError {
		found = jsonTokenNames[d.kind]
	}
	d.L.RaiseError("Expected %s but found %s at character %d", expected, found, d.index+1)
}

// parseValue turns the current token into a value, parsing an object or array
// it opens.
func (d *jsonDecoder) parseValue() lua.LValue {
	switch d.kind {
	case tString, tNumber, tBoolean:
		return d.value
	case tNull:
		return d.vm.null
	case tObjBegin:
		return d.object()
	case tArrBegin:
		return d.array()
	}
	d.fail("value")
	return lua.LNil
}

func (d *jsonDecoder) descend() {
	d.depth++
	if d.depth > cjsonMaxDepth {
		d.L.RaiseError("Found too many nested data structures (%d) at character %d", d.depth, d.pos)
	}
}

func (d *jsonDecoder) object() lua.LValue {
	d.descend()
	t := d.L.NewTable()
	d.next()
	if d.kind == tObjEnd {
		d.depth--
		return t
	}
	for {
		if d.kind != tString {
			d.fail("object key string")
		}
		key := d.value
		d.next()
		if d.kind != tColon {
			d.fail("colon")
		}
		d.next()
		t.RawSet(key, d.parseValue())
		d.next()
		if d.kind == tObjEnd {
			d.depth--
			return t
		}
		if d.kind != tComma {
			d.fail("comma or object end")
		}
		d.next()
	}
}

func (d *jsonDecoder) array() lua.LValue {
	d.descend()
	t := d.L.NewTable()
	d.next()
	if d.kind == tArrEnd {
		d.depth--
		return t
	}
	for i := 1; ; i++ {
		t.RawSetInt(i, d.parseValue())
		d.next()
		if d.kind == tArrEnd {
			d.depth--
			return t
		}
		if d.kind != tComma {
			d.fail("comma or array end")
		}
		d.next()
	}
}

// next reads the next token. A NUL byte ends the input, as the C string
// lua-cjson reads.
func (d *jsonDecoder) next() {
	for d.pos < len(d.data) && strings.IndexByte(" \t\n\r", d.data[d.pos]) >= 0 {
		d.pos++
	}
	d.index = d.pos
	if d.pos >= len(d.data) || d.data[d.pos] == 0 {
		d.kind = tEnd
		return
	}
	rest := d.data[d.pos:]
	if k := strings.IndexByte("{}[]:,", rest[0]); k >= 0 {
		d.kind = [...]jsonToken{tObjBegin, tObjEnd, tArrBegin, tArrEnd, tColon, tComma}[k]
		d.pos++
		return
	}
	switch ch := rest[0]; {
	case ch == '"':
		d.str()
	case ch == '-' || ch >= '0' && ch <= '9':
		d.number()
	case strings.HasPrefix(rest, "true"):
		d.kind, d.value = tBoolean, lua.LTrue
		d.pos += 4
	case strings.HasPrefix(rest, "false"):
		d.kind, d.value = tBoolean, lua.LFalse
		d.pos += 5
	case strings.HasPrefix(rest, "null"):
		d.kind = tNull
		d.pos += 4
	case jsonInvalidNumber(rest):
		d.number()
	default:
		d.kind, d.err = tError, "invalid token"
	}
}

// jsonInvalidNumber reports the numbers JSON does not allow that
// lua-cjson decodes by default: a leading +, hex, leading zeros, inf and
// nan.
func jsonInvalidNumber(s string) bool {
	if s[0] == '+' {
		return true
	}
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	if s[0] == '0' {
		return len(s) > 1 && (s[1]|0x20 == 'x' || s[1] >= '0' && s[1] <= '9')
	}
	if s[0] <= '9' {
		return false
	}
	l := strings.ToLower(s[:min(3, len(s))])
	return l == "inf" || l == "nan"
}

func (d *jsonDecoder) number() {
	f, n := strtod(d.data[d.pos:])
	if n == 0 {
		d.kind, d.err = tError, "invalid number"
		return
	}
	d.kind, d.value = tNumber, lua.LNumber(f)
	d.pos += n
}

// strtod parses the longest number at the start of s as C's strtod does
// (decimal, hex, inf, infinity, nan) and returns it and its length, 0
// when there is none.
func strtod(s string) (float64, int) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	neg := i > 0 && s[0] == '-'
	rest := strings.ToLower(s[i:min(len(s), i+8)])
	switch {
	case strings.HasPrefix(rest, "infinity"):
		return math.Copysign(math.Inf(1), sign(neg)), i + 8
	case strings.HasPrefix(rest, "inf"):
		return math.Copysign(math.Inf(1), sign(neg)), i + 3
	case strings.HasPrefix(rest, "nan"):
		return math.NaN(), i + 3
	case strings.HasPrefix(rest, "0x") && len(s) > i+2 && isHexDigit(s[i+2]):
		j := i + 2
		v := 0.0
		for j < len(s) && isHexDigit(s[j]) {
			d, _ := strconv.ParseUint(s[j:j+1], 16, 8)
			v = v*16 + float64(d)
			j++
		}
		return math.Copysign(v, sign(neg)), j
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i, digits = i+1, digits+1
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i, digits = i+1, digits+1
		}
	}
	if digits == 0 {
		return 0, 0
	}
	if i < len(s) && s[i]|0x20 == 'e' {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && s[j] >= '0' && s[j] <= '9' {
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			i = j
		}
	}
	f, _ := strconv.ParseFloat(s[:i], 64) // out of range: ±Inf or 0, as strtod
	return f, i
}

func sign(neg bool) float64 {
	if neg {
		return -1
	}
	return 1
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'f'
}

// str reads a string token, decoding its escapes; the error positions are
// lua-cjson's.
func (d *jsonDecoder) str() {
	var sb strings.Builder
	i := d.pos + 1
	for {
		if i >= len(d.data) || d.data[i] == 0 {
			d.kind, d.err, d.index = tError, "unexpected end of string", i
			return
		}
		ch := d.data[i]
		if ch == '"' {
			break
		}
		if ch != '\\' {
			sb.WriteByte(ch)
			i++
			continue
		}
		if i+1 >= len(d.data) {
			d.kind, d.err, d.index = tError, "unexpected end of string", i+1
			return
		}
		switch esc := d.data[i+1]; esc {
		case '"', '\\', '/':
			sb.WriteByte(esc)
		case 'b':
			sb.WriteByte('\b')
		case 'f':
			sb.WriteByte('\f')
		case 'n':
			sb.WriteByte('\n')
		case 'r':
			sb.WriteByte('\r')
		case 't':
			sb.WriteByte('\t')
		case 'u':
			r, n := jsonUnicodeEscape(d.data[i:])
			if n == 0 {
				d.kind, d.err, d.index = tError, "invalid unicode escape code", i
				return
			}
			sb.WriteString(string(utf8.AppendRune(nil, r)))
			i += n
			continue
		default:
			d.kind, d.err, d.index = tError, "invalid escape code", i
			return
		}
		i += 2
	}
	d.kind, d.value = tString, lua.LString(sb.String())
	d.pos = i + 1
}

// jsonUnicodeEscape decodes \uXXXX, or a surrogate pair \uD8XX\uDCXX, at
// the start of s; n is 0 when it is invalid.
func jsonUnicodeEscape(s string) (rune, int) {
	hex4 := func(s string) (rune, bool) {
		if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
			return 0, false
		}
		v, err := strconv.ParseUint(s[2:6], 16, 16)
		return rune(v), err == nil
	}
	r, ok := hex4(s)
	switch {
	case !ok:
		return 0, 0
	case r >= 0xdc00 && r <= 0xdfff:
		return 0, 0
	case r >= 0xd800 && r <= 0xdbff:
		lo, ok := hex4(s[6:])
		if !ok || lo < 0xdc00 || lo > 0xdfff {
			return 0, 0
		}
		return 0x10000 + (r-0xd800)<<10 + (lo - 0xdc00), 12
	}
	return r, 6
}
