package storage

import (
	"errors"
	"slices"
	"testing"
)

func TestExportImport(t *testing.T) {
	s, err := New(Options{Databases: 1})
	if err != nil {
		t.Fatal(err)
	}
	plain := []byte("a value worth compressing, a value worth compressing, a value worth compressing")
	packed := StringValue(s.Compress(nil, plain, LevelDefault, 0)).WithFlags(FlagCompressed).WithExpireAt(1234)
	b, err := s.Export(packed, []string{"t1", "t2"})
	if err != nil {
		t.Fatal(err)
	}
	v, tags, err := Import(b)
	if err != nil {
		t.Fatal(err)
	}
	if string(v.Bytes()) != string(plain) || v.Flags() != 0 || v.ExpireAt() != 1234 || !slices.Equal(tags, []string{"t1", "t2"}) {
		t.Errorf("imported %q flags %d expiry %d tags %v", v.Bytes(), v.Flags(), v.ExpireAt(), tags)
	}
	if _, _, err := Import(b[:5]); !errors.Is(err, errBadEntry) {
		t.Errorf("a cut entry: %v", err)
	}
}
