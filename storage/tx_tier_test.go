package storage

import (
	"errors"
	"sync/atomic"
	"testing"
)

// TestDiskReadFaultPoisonsTx: while reads of the data file fail, a lookup
// of a key that lives only on disk fails its transaction with the cause
// (never "absent"), a delete removes nothing, and a write after the
// failure is refused; once reads work again the key is there, unchanged.
func TestDiskReadFaultPoisonsTx(t *testing.T) {
	var failing atomic.Bool
	fault := errors.New("injected read error")
	e := newTierEnv(t, TierOptions{readFault: func([]byte) error {
		if failing.Load() {
			return fault
		}
		return nil
	}})
	e.tier.Await(e.set("wt:k", "v", 0), false)
	e.tier.Await(e.set("wt:other", "o", 0), false)
	e.restart() // folded into the file; without Warm, memory is empty
	failing.Store(true)

	var read Tx
	e.store.Begin(&read, 0, [][]byte{[]byte("wt:k")}, TxRead)
	if _, ok := read.Get([]byte("wt:k")); ok {
		t.Fatal("a key that could not be read was found")
	}
	if err := read.End(); !errors.Is(err, ErrDiskRead) || !errors.Is(err, fault) {
		t.Fatalf("End after a failed read = %v, want ErrDiskRead with the cause", err)
	}

	err := e.store.Update(0, [][]byte{[]byte("wt:k")}, func(tx *Tx) error {
		if tx.Delete([]byte("wt:k")) {
			t.Error("Delete reported a key it could not read as deleted")
		}
		tx.Set([]byte("wt:k"), StringValue([]byte("overwritten"))) // refused: the tx failed
		return nil
	})
	if !errors.Is(err, ErrDiskRead) {
		t.Fatalf("Update = %v, want ErrDiskRead", err)
	}

	// A write naming several keys reads them first, and changes nothing.
	err = e.store.Update(0, [][]byte{[]byte("wt:new"), []byte("wt:k")}, func(tx *Tx) error {
		t.Error("a write ran although one of its keys could not be read")
		return nil
	})
	if !errors.Is(err, ErrDiskRead) {
		t.Fatalf("multi-key Update = %v, want ErrDiskRead", err)
	}

	failing.Store(false)
	e.expect("wt:k", "v")
	e.expect("wt:other", "o")
}
