package cluster

import "testing"

// TestSlot checks keys against the slots redis-server 7.0.15 gives them
// (CLUSTER KEYSLOT), hash tags included.
func TestSlot(t *testing.T) {
	tests := []struct {
		key  string
		slot int
	}{
		{"foo", 12182},
		{"{user}a", 5474},
		{"", 0},
		{"{}", 15257},        // an empty tag: the whole key
		{"{}{a}", 13650},     // only the first '{' counts
		{"a{b", 13340},       // no closing brace
		{"{a}{b}", 15495},    // the first tag: "a"
		{"a{b}c", 3300},      // "b"
		{"{{a}}", 10276},     // "{a"
		{"}{a", 12925},       // a '}' before the '{' does not close it
		{"123456789", 12739}, // CRC16/XMODEM's check value 0x31C3, mod 16384
	}
	for _, tt := range tests {
		if got := Slot([]byte(tt.key)); got != tt.slot {
			t.Errorf("Slot(%q) = %d, want %d", tt.key, got, tt.slot)
		}
	}
	if c := crc16([]byte("123456789")); c != 0x31C3 {
		t.Errorf("crc16 check value %#x, want 0x31c3", c)
	}
}

func BenchmarkSlot(b *testing.B) {
	key := []byte("user:1000:profile")
	for b.Loop() {
		Slot(key)
	}
}
