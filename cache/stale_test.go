package cache

import (
	"strings"
	"testing"
	"time"

	"github.com/stratakv/strata/policy"
	"github.com/stratakv/strata/storage"
)

func TestStaleValues(t *testing.T) {
	c, clk := openCache(t,
		policy.Namespace{Match: "s:", Origin: "http://h/{key}", TTL: time.Second, StaleIfError: time.Minute,
			Compress: &policy.Compress{MinSize: 1}},
		policy.Namespace{Match: "plain:", TTL: time.Second})
	set := func(key, val string) {
		write(t, c, key, WriteReplace, func(tx *Tx) { tx.Set([]byte(key), storage.StringValue([]byte(val))) })
	}
	expire := func(keys ...string) {
		clk.ms += 2000
		for _, k := range keys {
			if ttlOf(t, c, clk, k) != -1 { // the lookup expires it
				t.Fatalf("%s did not expire", k)
			}
		}
	}
	long := strings.Repeat("compressible ", 100)
	set("s:a", long)
	set("s:b", "b")
	set("plain:c", "c")
	expire("s:a", "s:b", "plain:c")
	if v, ok := c.Stale(0, "s:a", time.Minute); !ok || string(v) != long {
		t.Errorf("Stale(s:a) = %.20q, %v; want the value, decompressed", v, ok)
	}
	if _, ok := c.Stale(0, "plain:c", time.Minute); ok {
		t.Error("a namespace without a stale window kept a value")
	}
	if _, ok := c.Stale(0, "s:a", 500*time.Millisecond); ok {
		t.Error("Stale served a value older than its window")
	}
	// A write of the key forgets its stale value, and so does a delete of
	// a value written since.
	set("s:a", "new")
	set("s:b", "again")
	write(t, c, "s:b", WriteInPlace, func(tx *Tx) { tx.Delete([]byte("s:b")) })
	for _, k := range []string{"s:a", "s:b"} {
		if _, ok := c.Stale(0, k, time.Minute); ok {
			t.Errorf("%s: stale value served after a write", k)
		}
	}
	set("s:d", "d")
	expire("s:d")
	clk.ms += time.Minute.Milliseconds() + 1
	if _, ok := c.Stale(0, "s:d", time.Minute); ok {
		t.Error("stale value served past stale_if_error")
	}
}
