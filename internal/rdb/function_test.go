package rdb

import (
	"bytes"
	"errors"
	"testing"
)

// TestFunctions checks FUNCTION DUMP's payload both ways, and the errors
// of payloads that hold no library.
func TestFunctions(t *testing.T) {
	codes := [][]byte{[]byte("#!lua name=a\nredis.register_function('a', function() return 1 end)"), []byte("#!lua name=b\n")}
	got, err := LoadFunctions(DumpFunctions(codes))
	if err != nil || len(got) != 2 || !bytes.Equal(got[0], codes[0]) || !bytes.Equal(got[1], codes[1]) {
		t.Fatalf("round trip: %q %v", got, err)
	}
	if got, err := LoadFunctions(DumpFunctions(nil)); err != nil || len(got) != 0 {
		t.Errorf("no library: %q %v", got, err)
	}
	for _, tt := range []struct {
		name    string
		payload []byte
		err     error
	}{
		{"short", []byte("abc"), ErrChecksum},
		{"type", appendFooter([]byte{0}), ErrNotFunction},
		{"pre-GA", appendFooter([]byte{opcodeFunctionPre}), ErrFunctionPreGA},
		{"string", appendFooter([]byte{opcodeFunction2, 5, 'a'}), ErrFormat},
	} {
		if _, err := LoadFunctions(tt.payload); !errors.Is(err, tt.err) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.err)
		}
	}
}
