package storage

import "testing"

// storesSeen counts the stores KeyStored is told of, and keeps byte 100
// of the last value stored.
type storesSeen struct {
	n    int
	b100 byte
}

func (s *storesSeen) KeyStored(_ *DB, _ string, v Value) {
	s.n++
	if v.Len() > 100 {
		s.b100 = v.Bytes()[100]
	}
}
func (s *storesSeen) KeyRemoved(*DB, string, Value, Reason) {}

// TestEditSetsInPlace: bytes changed through Edit and stored with Set stay
// in the record that held them, with no allocation and no change in Used,
// while the listeners hear of the write as of any other, and the expiry
// Set gives still reaches the volatile index.
func TestEditSetsInPlace(t *testing.T) {
	s := newTestStore(t)
	var seen storesSeen
	s.AddListener(&seen)
	tx := heldTx(s, 0)
	key := []byte("bitmap")
	tx.Set(key, StringValue(make([]byte, 12500)).WithFlags(FlagRaw).WithExpireAt(5000))
	used := s.Used()
	// Each edit follows a write lookup, as in a command: it counts an
	// access, so the value Set stores differs from the record in more than
	// its bytes (its LFU counter), and rewrite would not reuse the record.
	tx.Lookup(key, LookupWrite)
	b, ok := tx.Edit(key)
	if !ok || len(b) != 12500 {
		t.Fatalf("Edit = %d bytes, %v; want 12500, true", len(b), ok)
	}
	b[100] = 0x80
	tx.Set(key, StringValue(b).WithFlags(FlagRaw).WithExpireAt(5000))
	v, _ := tx.Get(key)
	switch {
	case &v.Bytes()[0] != &b[0]:
		t.Fatal("Set copied the edited bytes into a new record")
	case v.Bytes()[100] != 0x80 || v.ExpireAt() != 5000 || v.Flags() != FlagRaw:
		t.Fatalf("stored byte %#x expiry %d flags %d", v.Bytes()[100], v.ExpireAt(), v.Flags())
	case seen.n != 2 || seen.b100 != 0x80:
		t.Fatalf("listeners heard %d stores, the last with byte %#x", seen.n, seen.b100)
	case s.Used() != used:
		t.Fatalf("Used moved from %d to %d", used, s.Used())
	}
	if n := testing.AllocsPerRun(100, func() {
		tx.Lookup(key, LookupWrite)
		b, _ := tx.Edit(key)
		b[100] ^= 1
		tx.Set(key, StringValue(b).WithFlags(FlagRaw).WithExpireAt(5000))
	}); n != 0 {
		t.Errorf("an edit allocates %v times", n)
	}
	b, _ = tx.Edit(key)
	tx.Set(key, StringValue(b).WithFlags(FlagRaw))
	if v, _ := tx.Get(key); v.ExpireAt() != 0 || s.DB(0).Expires() != 0 {
		t.Errorf("expiry %d with %d volatile keys after a Set without one", v.ExpireAt(), s.DB(0).Expires())
	}
	// A prefix of the record is a new value: copied, the record left whole.
	b, _ = tx.Edit(key)
	tx.Set(key, StringValue(b[:10]))
	if v, _ := tx.Get(key); v.Len() != 10 || &v.Bytes()[0] == &b[0] {
		t.Errorf("a prefix stored as %d bytes, in the record: %v", v.Len(), &v.Bytes()[0] == &b[0])
	}
}

// TestEditRefuses: only a live, uncompressed, non-empty string in memory
// is handed out.
func TestEditRefuses(t *testing.T) {
	s := newTestStore(t) // its clock stands at 1000
	tx := heldTx(s, 0)
	tx.Set([]byte("empty"), StringValue(nil))
	tx.Set([]byte("packed"), StringValue([]byte("zstd frame")).WithFlags(FlagCompressed))
	tx.Set([]byte("expired"), StringValue([]byte("gone")).WithExpireAt(500))
	tx.Set([]byte("list"), ObjectValue(KindList, NewList()))
	for _, key := range []string{"missing", "empty", "packed", "expired", "list"} {
		if b, ok := tx.Edit([]byte(key)); ok {
			t.Errorf("Edit(%s) = %q, true", key, b)
		}
	}
}
