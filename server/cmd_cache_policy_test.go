package server

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stratakv/strata/policy"
	"github.com/stratakv/strata/storage"
)

func TestCachePolicy(t *testing.T) {
	s := startServer(t, Config{Namespaces: []policy.Namespace{
		{Name: "products", Match: "product:*", Strategy: policy.WriteBack, TTL: 5 * time.Minute, Jitter: 0.25,
			Compress: &policy.Compress{MinSize: 1024, Level: policy.LevelBest}},
		{Match: "task:*", TTLByField: &policy.FieldTTL{Field: "status",
			TTL: map[string]time.Duration{"done": time.Hour, "busy": time.Minute}, Default: 2 * time.Minute}, NoLocalCache: true},
	}})
	c := dial(t, s)
	c.expect("*20\r\n"+
		"$9\r\nnamespace\r\n$8\r\nproducts\r\n$5\r\nmatch\r\n$9\r\nproduct:*\r\n$8\r\nstrategy\r\n$10\r\nwrite_back\r\n"+
		"$6\r\nttl_ms\r\n:300000\r\n$10\r\nmax_ttl_ms\r\n:0\r\n$6\r\njitter\r\n$4\r\n0.25\r\n$12\r\nttl_by_field\r\n$-1\r\n"+
		"$8\r\ncompress\r\n*6\r\n$8\r\nmin_size\r\n:1024\r\n$5\r\nlevel\r\n$4\r\nbest\r\n$10\r\ndictionary\r\n:0\r\n"+
		"$11\r\nlocal_cache\r\n:1\r\n$8\r\npersists\r\n:1\r\n",
		"CACHE.POLICY", "product:1")
	// ttl_ms is resolved from the key's value.
	c.expect("+OK\r\n", "SET", "task:1", `{"status":"done"}`)
	got := c.do("CACHE.POLICY", "task:1")
	for _, want := range []string{"$6\r\nttl_ms\r\n:3600000\r\n", "$4\r\nbusy\r\n:60000\r\n$4\r\ndone\r\n:3600000\r\n",
		"$10\r\ndefault_ms\r\n:120000\r\n", "$11\r\nlocal_cache\r\n:0\r\n", "$8\r\nstrategy\r\n$11\r\ncache_aside\r\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("CACHE.POLICY task:1 = %q lacks %q", got, want)
		}
	}
	if got := c.do("CACHE.POLICY", "other"); !strings.Contains(got, "$9\r\nnamespace\r\n$7\r\ndefault\r\n") {
		t.Errorf("CACHE.POLICY other = %q", got)
	}
	c.expect("-ERR wrong number of arguments for 'cache.policy' command\r\n", "CACHE.POLICY")
	// RESP3: a map, a double, booleans.
	c.do("HELLO", "3")
	got = c.do("CACHE.POLICY", "product:1")
	if !strings.HasPrefix(got, "%10\r\n") || !strings.Contains(got, ",0.25\r\n") || !strings.Contains(got, "#t\r\n") {
		t.Errorf("RESP3 CACHE.POLICY = %q", got)
	}
}

func TestCachePolicyWithoutNamespaces(t *testing.T) {
	c := dial(t, startServer(t, Config{}))
	if got := c.do("CACHE.POLICY", "k"); !strings.Contains(got, "$7\r\ndefault\r\n") || !strings.Contains(got, "$11\r\ncache_aside\r\n") {
		t.Errorf("CACHE.POLICY = %q", got)
	}
	c.expect("-ERR no such namespace\r\n", "CACHE.DICT", "TRAIN", "default")
}

// jsonValue is a compressible JSON document of about 600 bytes, like the
// product records the compression bench row uses.
func jsonValue(i int) string {
	return fmt.Sprintf(`{"id":%d,"sku":"SKU-%06d","name":"Stainless steel water bottle %d","brand":"Acme Outdoor",`+
		`"category":"sports/outdoor/hydration","price":{"amount":%d.99,"currency":"EUR"},"stock":{"warehouse":"central","available":%d,"reserved":%d},`+
		`"attributes":{"color":"blue","capacity_ml":750,"material":"stainless steel","insulated":true,"dishwasher_safe":false},`+
		`"tags":["bottle","outdoor","hydration","eco"],"rating":{"average":4.%d,"count":%d},"updated_at":"2026-11-21T10:%02d:00Z",`+
		`"description":"Keeps drinks cold for 24 hours and hot for 12 hours. Leak-proof lid, fits most cup holders."}`,
		i, i, i, 10+i%90, i%500, i%7, i%10, 100+i, i%60)
}

func TestCompressionIsTransparent(t *testing.T) {
	cfg := Config{Dir: t.TempDir(), Namespaces: []policy.Namespace{
		{Match: "p:*", Strategy: policy.WriteThrough, Compress: &policy.Compress{MinSize: 100}},
		{Match: "m:*", Compress: &policy.Compress{MinSize: 100}},
	}}
	s := startServer(t, cfg)
	c := dial(t, s)
	val := jsonValue(1)
	small := "tiny"
	random := "q9#Zx!" // shorter than min_size: stored raw
	c.expect("+OK\r\n", "SET", "p:1", val)
	c.expect("+OK\r\n", "SET", "p:small", small)
	c.expect("+OK\r\n", "SET", "m:r", random)
	raw, ok := peek(t, s, "p:1", storage.LookupWrite|storage.LookupRaw)
	if !ok || raw.Flags()&storage.FlagCompressed == 0 || raw.Len() >= len(val) {
		t.Fatalf("p:1 stored with flags %d, %d bytes: not compressed", raw.Flags(), raw.Len())
	}
	if raw, _ := peek(t, s, "p:small", storage.LookupWrite|storage.LookupRaw); raw.Flags()&storage.FlagCompressed != 0 {
		t.Fatal("a value under min_size was compressed")
	}
	bulk := func(s string) string { return fmt.Sprintf("$%d\r\n%s\r\n", len(s), s) }
	c.expect(bulk(val), "GET", "p:1")
	c.expect(fmt.Sprintf(":%d\r\n", len(val)), "STRLEN", "p:1")
	c.expect(bulk(val[10:30]), "GETRANGE", "p:1", "10", "29")
	c.expect(fmt.Sprintf(":%d\r\n", len(val)+3), "APPEND", "p:1", "xyz")
	c.expect(bulk(val+"xyz"), "GET", "p:1")
	c.expect("*2\r\n"+bulk(val+"xyz")+bulk(small), "MGET", "p:1", "p:small")
	c.expect(":1\r\n", "EXPIRE", "p:1", "1000")
	c.expect(bulk(val+"xyz"), "GETEX", "p:1")
	if raw, _ := peek(t, s, "p:1", storage.LookupWrite|storage.LookupRaw); raw.Flags()&storage.FlagCompressed == 0 {
		t.Error("APPEND and EXPIRE left the value uncompressed")
	}
	// Compressed in the disk tier too, and read back after a restart.
	s = restartServer(t, s, cfg)
	c = dial(t, s)
	c.expect(bulk(val+"xyz"), "GET", "p:1")
	if ttl := c.do("TTL", "p:1"); ttl != ":1000\r\n" && ttl != ":999\r\n" {
		t.Errorf("TTL after restart %q", ttl)
	}
	if st := s.store.Counters(); st.StoredBytes.Load() != 0 {
		t.Logf("raw %d stored %d", st.RawBytes.Load(), st.StoredBytes.Load())
	}
}

func TestDictionaryTrainedPerNamespace(t *testing.T) {
	cfg := Config{Dir: t.TempDir(), Namespaces: []policy.Namespace{
		{Name: "products", Match: "p:*", Strategy: policy.WriteBack, Compress: &policy.Compress{MinSize: 64}},
		{Match: "plain:*", Strategy: policy.WriteBack},
	}}
	s := startServer(t, cfg)
	c := dial(t, s)
	c.expect("-ERR namespace 'products' has too few values to train a dictionary from (0 found; at least 8 and 4kb are needed)\r\n",
		"CACHE.DICT", "TRAIN", "products")
	c.expect("-ERR namespace 'plain:*' does not compress values (no compress setting)\r\n", "CACHE.DICT", "TRAIN", "plain:*")
	c.expect("-ERR no such namespace\r\n", "CACHE.DICT", "TRAIN", "nope")
	c.expect(":0\r\n", "CACHE.DICT", "INFO", "products")
	for i := 0; i < 300; i++ {
		c.expect("+OK\r\n", "SET", fmt.Sprintf("p:%d", i), jsonValue(i))
	}
	before := storedLen(t, s, "p:299")
	got := c.do("CACHE.DICT", "TRAIN", "products")
	if !strings.HasPrefix(got, "*6\r\n$10\r\ndictionary\r\n:") || !strings.Contains(got, "$7\r\nsamples\r\n:300\r\n") {
		t.Fatalf("CACHE.DICT TRAIN = %q", got)
	}
	id := strings.Split(got, "\r\n")[3]
	c.expect(id+"\r\n", "CACHE.DICT", "INFO", "products")
	c.expect("+OK\r\n", "SET", "p:new", jsonValue(299))
	after := storedLen(t, s, "p:new")
	if after*2 > before {
		t.Errorf("with the dictionary a value takes %d bytes, without %d: want at most half", after, before)
	}
	t.Logf("600-byte JSON value: %d bytes compressed alone, %d with the namespace's dictionary", before, after)
	// Old values (no dictionary) and new ones (dictionary) both read back,
	// also after a restart, which keeps using the dictionary.
	s = restartServer(t, s, cfg)
	c = dial(t, s)
	c.expect(fmt.Sprintf("$%d\r\n%s\r\n", len(jsonValue(299)), jsonValue(299)), "GET", "p:new")
	c.expect(fmt.Sprintf("$%d\r\n%s\r\n", len(jsonValue(5)), jsonValue(5)), "GET", "p:5")
	c.expect(id+"\r\n", "CACHE.DICT", "INFO", "products")
	c.expect("+OK\r\n", "SET", "p:newer", jsonValue(7))
	if n := storedLen(t, s, "p:newer"); n*2 > before {
		t.Errorf("after a restart new values no longer use the dictionary: %d bytes", n)
	}
}

// storedLen returns the bytes key's value takes in memory.
func storedLen(t *testing.T, s *Server, key string) int {
	t.Helper()
	v, ok := peek(t, s, key, storage.LookupWrite|storage.LookupRaw)
	if !ok {
		t.Fatalf("%s missing", key)
	}
	return v.Len()
}
