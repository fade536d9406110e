package server

// Namespace commands: CACHE.POLICY key shows the namespace a key falls in
// and its resolved settings; CACHE.DICT TRAIN namespace trains the
// namespace's compression dictionary from its own values, CACHE.DICT INFO
// namespace shows it.

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/stratakv/strata/policy"
	"github.com/stratakv/strata/storage"
)

func registerCachePolicyCommands(t commandTable) {
	t.add(&command{name: "cache.policy", handler: cmdCachePolicy, arity: 2, firstKey: 1, lastKey: 1, keyStep: 1,
		categories: "@read @keyspace @slow @cache"})
	t.container("cache.dict", -2,
		// TRAIN reads the keyspace under its own locks and trains outside
		// them: training takes a while, and must not stall other clients.
		&command{name: "train", handler: cmdCacheDictTrain, arity: 3, flags: flagNoData | flagNoMulti,
			categories: "@admin @slow @dangerous @cache"},
		&command{name: "info", handler: cmdCacheDictInfo, arity: 3, flags: flagNoData},
		&command{name: "help", handler: cmdCacheDictHelp, arity: 2, flags: flagNoData},
	)
}

// cmdCachePolicy: CACHE.POLICY key -> a map of the key's namespace and its
// settings (a flat array in RESP2). Durations are milliseconds; ttl_ms is
// what a write of the key's current value without a TTL would get before
// jitter (ttl_by_field resolved).
func cmdCachePolicy(c *client, args [][]byte) {
	s := c.srv.cache.Rules().Lookup(args[1])
	var value []byte
	if v, ok := c.tx.Lookup(args[1], storage.LookupWrite|storage.LookupNoTouch); ok && v.Kind() == storage.KindString {
		value = v.Bytes()
	}
	c.out.Map(10)
	c.out.BulkString("namespace")
	c.out.BulkString(s.Name)
	c.out.BulkString("match")
	c.out.BulkString(s.Match)
	c.out.BulkString("strategy")
	c.out.BulkString(s.Strategy.String())
	c.out.BulkString("ttl_ms")
	c.out.Int(s.DefaultTTL(value).Milliseconds())
	c.out.BulkString("max_ttl_ms")
	c.out.Int(s.MaxTTL.Milliseconds())
	c.out.BulkString("jitter")
	c.out.Double(s.Jitter)
	c.out.BulkString("ttl_by_field")
	if f := s.TTLByField; f != nil {
		c.out.Map(3)
		c.out.BulkString("field")
		c.out.BulkString(f.Field)
		c.out.BulkString("ttl_ms")
		c.out.Map(len(f.TTL))
		for _, k := range slices.Sorted(maps.Keys(f.TTL)) {
			c.out.BulkString(k)
			c.out.Int(f.TTL[k].Milliseconds())
		}
		c.out.BulkString("default_ms")
		c.out.Int(f.Default.Milliseconds())
	} else {
		c.out.Null()
	}
	c.out.BulkString("compress")
	if cp := s.Compress; cp != nil {
		c.out.Map(3)
		c.out.BulkString("min_size")
		c.out.Int(int64(cp.MinSize))
		c.out.BulkString("level")
		c.out.BulkString(cp.Level.String())
		c.out.BulkString("dictionary")
		c.out.Int(int64(c.srv.cache.DictionaryOf(s)))
	} else {
		c.out.Null()
	}
	c.out.BulkString("local_cache")
	c.out.Bool(!s.NoLocalCache)
	c.out.BulkString("persists")
	c.out.Bool(s.Strategy.Persists())
}

// compressingSpace returns the namespace CACHE.DICT names, or the reply
// error when there is none or it does not compress.
func (c *client) compressingSpace(name []byte) (*policy.Space, string) {
	s, ok := c.srv.cache.Rules().ByName(string(name))
	if !ok || !c.srv.cache.HasNamespaces() {
		return nil, msgNoNamespace
	}
	if s.Compress == nil {
		return nil, fmt.Sprintf(msgNotCompressed, s.Name)
	}
	return s, ""
}

// cmdCacheDictTrain: CACHE.DICT TRAIN namespace -> a map of the new
// dictionary's id, size and the values it was trained on. New values of
// the namespace compress with it; values written with an older one stay
// readable.
func cmdCacheDictTrain(c *client, args [][]byte) {
	sp, errMsg := c.compressingSpace(args[2])
	if errMsg != "" {
		c.out.Error(errMsg)
		return
	}
	dict, err := c.srv.cache.TrainDictionary(sp)
	switch {
	case errors.Is(err, storage.ErrTooFewSamples):
		c.out.Error(fmt.Sprintf(msgTooFewSamples, sp.Name, dict.Samples))
		return
	case err != nil:
		c.srv.log.Error("CACHE.DICT TRAIN failed", "namespace", sp.Name, "err", err)
		c.out.Error(storageError(err))
		return
	}
	c.srv.log.Info("trained a compression dictionary", "namespace", sp.Name, "id", dict.ID, "bytes", dict.Size, "samples", dict.Samples)
	c.out.Map(3)
	c.out.BulkString("dictionary")
	c.out.Int(int64(dict.ID))
	c.out.BulkString("size")
	c.out.Int(int64(dict.Size))
	c.out.BulkString("samples")
	c.out.Int(int64(dict.Samples))
}

// cmdCacheDictInfo: CACHE.DICT INFO namespace -> the dictionary id new
// values of the namespace compress with, 0 for none.
func cmdCacheDictInfo(c *client, args [][]byte) {
	sp, errMsg := c.compressingSpace(args[2])
	if errMsg != "" {
		c.out.Error(errMsg)
		return
	}
	c.out.Int(int64(c.srv.cache.DictionaryOf(sp)))
}

var cacheDictHelp = []string{
	"CACHE.DICT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"TRAIN <namespace>",
	"    Train a zstd dictionary on the namespace's values; its new values compress",
	"    with it, older values stay readable. The namespace must compress.",
	"INFO <namespace>",
	"    Return the id of the dictionary the namespace's new values compress with",
	"    (0: none).",
	"HELP",
	"    Prints this help.",
}

func cmdCacheDictHelp(c *client, args [][]byte) { c.out.Help(cacheDictHelp) }
