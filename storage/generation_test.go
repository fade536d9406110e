package storage

import (
	"strings"
	"sync/atomic"
	"testing"
)

// prefixGens gives keys starting with "g:" generation gen, others 0.
type prefixGens struct{ gen atomic.Uint32 }

func (p *prefixGens) Generation(key []byte) uint32 {
	if strings.HasPrefix(string(key), "g:") {
		return p.gen.Load()
	}
	return 0
}

// reasons records why keys were removed.
type reasons map[string]Reason

func (r reasons) KeyStored(*DB, string, Value)                      {}
func (r reasons) KeyRemoved(_ *DB, key string, _ Value, why Reason) { r[key] = why }

func TestGenerations(t *testing.T) {
	s, _ := newClockedStore(t, Options{})
	removed := reasons{}
	s.AddListener(removed)
	set := func(key, val string) {
		s.Update(0, [][]byte{[]byte(key)}, func(tx *Tx) error {
			tx.Set([]byte(key), StringValue([]byte(val)))
			return nil
		})
	}
	lookup := func(key string) (v Value, val string, ok bool) {
		s.View(0, [][]byte{[]byte(key)}, func(tx *Tx) error {
			v, ok = tx.Lookup([]byte(key), LookupWrite)
			val = string(v.Bytes())
			return nil
		})
		return v, val, ok
	}
	set("g:a", "gen 0")
	var gens prefixGens
	gens.gen.Store(7)
	s.SetGenerations(&gens)
	set("g:b", "gen 7")
	set("other", "x")
	s.Update(0, [][]byte{[]byte("g:list")}, func(tx *Tx) error {
		l := NewList()
		l.PushBack("e")
		tx.Set([]byte("g:list"), ListValue(l))
		return nil
	})
	if _, _, ok := lookup("g:a"); ok || removed["g:a"] != Invalidated {
		t.Errorf("g:a of generation 0 was found, or not reclaimed as Invalidated (%v)", removed["g:a"])
	}
	v, val, ok := lookup("g:b")
	if !ok || val != "gen 7" || v.Gen() != 7 || v.key() != "g:b" {
		t.Errorf("g:b = %q, %v, gen %d, key %q", val, ok, v.Gen(), v.key())
	}
	if v, _, ok := lookup("g:list"); !ok || v.Gen() != 7 || v.Len() != 0 {
		t.Errorf("g:list: %v, gen %d", ok, v.Gen())
	}
	// An overwrite of the same size keeps the record, with its generation.
	set("g:b", "GEN 7")
	if v, val, _ := lookup("g:b"); val != "GEN 7" || v.Gen() != 7 {
		t.Errorf("g:b after an overwrite = %q, gen %d", val, v.Gen())
	}
	gens.gen.Store(8)
	var keys []string
	s.View(0, nil, func(tx *Tx) error {
		for i := range Shards {
			tx.ScanShard(i, func(k string, _ Value) { keys = append(keys, k) })
		}
		return nil
	})
	if len(keys) != 1 || keys[0] != "other" {
		t.Errorf("scan after the bump = %v, want [other]", keys)
	}
	// A same-sized write over a superseded record takes the new
	// generation.
	set("g:b", "new 8")
	if v, val, ok := lookup("g:b"); !ok || val != "new 8" || v.Gen() != 8 {
		t.Errorf("g:b rewritten = %q, %v, gen %d", val, ok, v.Gen())
	}
}

func TestEntryGeneration(t *testing.T) {
	for _, gen := range []uint32{0, 1, 1 << 31} {
		v := newRecord([]byte("k"), StringValue([]byte("payload")).WithExpireAt(42), gen)
		b, err := appendEntry(nil, v, []string{"t"}, 9)
		if err != nil {
			t.Fatal(err)
		}
		e, err := parseEntry(b)
		if err != nil || e.gen != gen || entryGen(b) != gen || e.exp != 42 || e.atime != 9 ||
			string(e.payload) != "payload" || len(e.tags) != 1 || entryAtime(b) != 9 {
			t.Errorf("gen %d: parsed %+v, %v", gen, e, err)
		}
		want := byte(entryVersion) // generation 0 keeps the old format
		if gen != 0 {
			want = entryVersionGen
		}
		if b[0] != want {
			t.Errorf("gen %d: version %d, want %d", gen, b[0], want)
		}
	}
}
