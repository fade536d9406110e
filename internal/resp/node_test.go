package resp

import (
	"errors"
	"testing"
)

// TestParse checks that parsed nodes replay as the bytes they came from in
// RESP3, downgraded in RESP2, and that malformed data is refused.
func TestParse(t *testing.T) {
	tests := []struct {
		name, data, resp2 string
	}{
		{"status", "+OK\r\n", "+OK\r\n"},
		{"bulk", "$3\r\na\nb\r\n", "$3\r\na\nb\r\n"},
		{"int", ":-12\r\n", ":-12\r\n"},
		{"map of set", "%1\r\n$5\r\nflags\r\n~2\r\n+write\r\n+fast\r\n", "*2\r\n$5\r\nflags\r\n*2\r\n+write\r\n+fast\r\n"},
		{"two values", "*0\r\n:1\r\n", "*0\r\n:1\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nodes, err := Parse([]byte(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			var w2, w3 Writer
			w3.SetRESP3(true)
			for i := range nodes {
				w2.Node(&nodes[i])
				w3.Node(&nodes[i])
			}
			if got := string(w3.Bytes()); got != tt.data {
				t.Errorf("RESP3 %q, want %q", got, tt.data)
			}
			if got := string(w2.Bytes()); got != tt.resp2 {
				t.Errorf("RESP2 %q, want %q", got, tt.resp2)
			}
		})
	}
	for _, bad := range []string{"+OK", "$5\r\nab\r\n", "*2\r\n:1\r\n", "-ERR x\r\n", "*-1\r\n", "\r\n"} {
		if _, err := Parse([]byte(bad)); !errors.Is(err, ErrMalformed) {
			t.Errorf("Parse(%q): %v, want ErrMalformed", bad, err)
		}
	}
}

func TestNodeField(t *testing.T) {
	m := Map(Bulk("arity"), Int(-2), Bulk("flags"), StatusSet("write"))
	if v, ok := m.Field("arity"); !ok || v.Num != -2 {
		t.Errorf("Field(arity) = %v, %v", v, ok)
	}
	if _, ok := m.Field("group"); ok {
		t.Error("Field(group) found a missing key")
	}
}
