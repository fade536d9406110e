package storage

import (
	"testing"
)

// TestTierReplaysMapIntoMoreDatabases: a log whose last database map was
// written with fewer databases than the server now has (SWAPDB, then a
// crash before the next fold, then a start with more databases) gives the
// new databases buckets of their own.
func TestTierReplaysMapIntoMoreDatabases(t *testing.T) {
	dir := t.TempDir()
	open := func(databases int) (*Store, *Tier) {
		t.Helper()
		s, err := New(Options{Databases: databases})
		if err != nil {
			t.Fatal(err)
		}
		tier, err := OpenTier(s, TierOptions{Dir: dir, Durability: prefixDurability, WriteThrough: true, FlushInterval: 1 << 40})
		if err != nil {
			t.Fatal(err)
		}
		return s, tier
	}
	s, tier := open(2)
	tx := lockedTx(s, 0)
	tx.Set([]byte("wt:b"), StringValue([]byte("2")))
	tx.SwapDB(0, 1) // logs the database map, 2 databases long
	tx.End()
	if err := tier.Await(tier.Appended(), false); err != nil {
		t.Fatal(err)
	}
	(&tierEnv{t: t, tier: tier}).kill()

	s, tier = open(4)
	defer tier.Close()
	for db := 0; db < 4; db++ {
		tx := lockedTx(s, db)
		tx.Set([]byte("wt:c"), StringValue([]byte("3")))
		tx.End()
	}
	tx = lockedTx(s, 1)
	defer tx.End()
	if v, ok := tx.Get([]byte("wt:b")); !ok || string(v.Bytes()) != "2" {
		t.Errorf("wt:b in database 1 = %q (found %v), want 2", v.Bytes(), ok)
	}
}
