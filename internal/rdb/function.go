package rdb

// Function library payloads: FUNCTION DUMP's and FUNCTION RESTORE's, as
// Redis 7.0's rdbSaveFunctions writes them and functionRestoreCommand
// reads them: for each library the opcode FUNCTION2 and its code as an RDB
// string, then the footer.

import "errors"

// The opcodes of a library in a payload: 7.0's, and its release
// candidates' that 7.0 refuses.
const (
	opcodeFunction2   = 245
	opcodeFunctionPre = 246
)

// Errors of LoadFunctions besides ErrChecksum and ErrFormat.
var (
	// ErrFunctionPreGA is a library in 7.0's release candidates' format:
	// Redis's "Pre-GA function format not supported".
	ErrFunctionPreGA = errors.New("rdb: pre-GA function format")
	// ErrNotFunction is a payload element that is no library: Redis's
	// "given type is not a function".
	ErrNotFunction = errors.New("rdb: given type is not a function")
)

// DumpFunctions returns the FUNCTION DUMP payload of libraries' codes, in
// the order given, each written as Redis writes strings (LZF-compressed
// when that is shorter).
func DumpFunctions(codes [][]byte) []byte {
	w := &writer{}
	for _, code := range codes {
		w.b = append(w.b, opcodeFunction2)
		w.string(code)
	}
	return appendFooter(w.b)
}

// LoadFunctions reads a FUNCTION RESTORE payload and returns the codes of
// its libraries. It returns ErrChecksum for a bad footer, ErrFunctionPreGA
// or ErrNotFunction for an element that is no 7.0 library, and ErrFormat
// for a code that does not decode. The codes may view payload.
func LoadFunctions(payload []byte) ([][]byte, error) {
	b, err := body(payload)
	if err != nil {
		return nil, err
	}
	r := &reader{b: b}
	var codes [][]byte
	for len(r.b) > 0 {
		switch r.byte() {
		case opcodeFunction2:
		case opcodeFunctionPre:
			return nil, ErrFunctionPreGA
		default:
			return nil, ErrNotFunction
		}
		code := r.string()
		if r.bad {
			return nil, ErrFormat
		}
		codes = append(codes, code)
	}
	return codes, nil
}
