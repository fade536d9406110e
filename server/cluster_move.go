package server

// Moving slots between nodes. A move is three map versions, pushed to
// every node by whoever drives it (strata cluster move, or redis-cli):
//
//  1. the slots marked MIGRATING from their owner to the new node: the
//     owner serves the keys it still has and sends clients on with ASK
//     for the others, which the new node serves to clients that ask;
//  2. CLUSTER.MOVEKEYS on the owner hands every key of those slots to the
//     new node, and returns once all are there;
//  3. the slots given to the new node.
//
// CLUSTER.MOVEKEYS moves a batch of one storage shard's keys at a time,
// holding that shard's lock from reading the keys until they are deleted
// here: the new node stores each with CLUSTER.IMPORT, as durable as its
// namespace makes it, before it replies, so a key is in one place or the
// other and a write acknowledged before or after the move is never lost.
// A write that comes for a key already gone finds it missing under its
// own lock and is sent on with ASK (client.clusterServes). Every key
// moves, cache_aside ones included; values travel decompressed, with
// their expiry and tags, and are stored through the new node's namespace
// rules.

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/stratakv/strata/cache"
	"github.com/stratakv/strata/cluster"
	"github.com/stratakv/strata/internal/resp"
	"github.com/stratakv/strata/storage"
)

// moveBatch is the most keys moved under one shard lock, in one exchange
// with the new node.
const moveBatch = 128

func registerClusterMoveCommands(t commandTable) {
	t.add(
		&command{name: "cluster.movekeys", handler: clusterOnly(cmdClusterMoveKeys), arity: -1, flags: flagNoData | flagNoMulti,
			categories: "@admin @slow @dangerous"},
		// IMPORT is served for a slot being imported without ASKING, and
		// is as dangerous, as Redis's RESTORE-ASKING.
		&command{name: "cluster.import", handler: clusterOnly(cmdClusterImport), arity: 3, flags: flagWrite | flagDenyOOM | flagAsking,
			firstKey: 1, lastKey: 1, keyStep: 1, write: cache.WriteMove, categories: "@keyspace @write @slow @dangerous"},
	)
}

// cmdClusterMoveKeys is CLUSTER.MOVEKEYS [slots]: it moves the keys of the
// slots this node is migrating (those among slots, "0-99,200", when
// given) to the nodes they migrate to, and replies how many it moved.
func cmdClusterMoveKeys(c *client, args [][]byte) {
	cs := c.srv.cluster
	v := cs.view.Load()
	if v == nil {
		c.out.Error(msgNoClusterMap)
		return
	}
	only := func(int) bool { return true }
	if len(args) > 2 {
		c.out.Error(wrongArity("cluster.movekeys"))
		return
	}
	if len(args) == 2 {
		ranges, err := cluster.ParseRanges(string(args[1]))
		if err != nil {
			c.out.Error(fmt.Sprintf(msgMapInvalid, strings.TrimPrefix(err.Error(), cluster.ErrInvalidMap.Error()+": ")))
			return
		}
		only = func(s int) bool {
			for _, r := range ranges {
				if s >= r.First && s <= r.Last {
					return true
				}
			}
			return false
		}
	}
	moving := func(s int) bool { return v.m.Owner(s) == v.self && v.m.MigratingTo(s) >= 0 && only(s) }
	cs.moving.Lock() // one move at a time: they would contend for the same locks
	defer cs.moving.Unlock()
	keys, err := c.srv.keysInSlots(moving, -1)
	if err != nil {
		c.out.Error(storageError(err))
		return
	}
	n, msg := cs.moveKeys(v, keys)
	if msg != "" {
		c.out.Error(msg)
		return
	}
	c.srv.log.Info("moved keys to their new owners", "keys", n)
	c.out.Int(n)
}

// moveKeys moves keys of slots v migrates to their new owners, in batches
// of one shard's keys, and returns how many it moved, or the error to
// reply (the keys moved before it stay moved).
func (cs *clusterState) moveKeys(v *clusterView, keys []string) (int64, string) {
	s := cs.srv
	var byShard [storage.Shards][]string
	for _, k := range keys {
		i := s.store.ShardOf(keyBytes(k))
		byShard[i] = append(byShard[i], k)
	}
	var moved int64
	for _, shard := range byShard {
		for len(shard) > 0 {
			batch := shard[:min(len(shard), moveBatch)]
			shard = shard[len(batch):]
			n, msg := cs.moveBatch(v, batch)
			if moved += n; msg != "" {
				return moved, msg
			}
			runtime.Gosched()
		}
	}
	return moved, ""
}

// moveBatch moves keys of one shard: under the shard's lock it exports
// them, has each new owner import its keys, and deletes them here once
// they are there.
func (cs *clusterState) moveBatch(v *clusterView, keys []string) (int64, string) {
	s := cs.srv
	kb := make([][]byte, len(keys))
	for i, k := range keys {
		kb[i] = keyBytes(k)
	}
	var tx cache.Tx
	s.cache.Begin(&tx, 0, kb, cache.WriteInPlace, storage.TxWrite)
	byOwner := map[int][][][]byte{} // new owner -> its IMPORT commands
	var sent [][]byte
	for _, k := range kb {
		val, ok := tx.Lookup(k, storage.LookupWrite|storage.LookupNoTouch|storage.LookupRaw)
		if !ok {
			continue // expired or deleted since it was listed
		}
		payload, err := s.store.Export(val, s.cache.Tags().Of(tx.DB, string(k)))
		if err != nil {
			tx.Fail(err)
			break
		}
		to := v.m.MigratingTo(cluster.Slot(k))
		byOwner[to] = append(byOwner[to], [][]byte{[]byte("CLUSTER.IMPORT"), k, payload})
		sent = append(sent, k)
	}
	msg := ""
	for to, cmds := range byOwner {
		if tx.Err() != nil {
			break
		}
		if msg = cs.sendKeys(v.m.Nodes[to], cmds); msg != "" {
			sent = nil // not all there: delete none here
			break
		}
	}
	if tx.Err() == nil && msg == "" {
		for _, k := range sent {
			tx.Delete(k)
		}
	}
	wait, err := tx.End()
	if err == nil {
		err = s.cache.Await(wait) // the deletions, before the map can flip
	}
	if err != nil {
		s.log.Error("moving keys", "err", err)
		return 0, storageError(err)
	}
	return int64(len(sent)), msg
}

// sendKeys sends commands that store keys (IMPORT, SET) to node in one
// exchange and returns the error to reply unless it stored them all.
func (cs *clusterState) sendKeys(node cluster.Node, cmds [][][]byte) string {
	replies, err := cs.peers.do(node.Addr(), cmds...)
	if err != nil {
		f := &peerFailure{node: node, err: err}
		cs.srv.log.Warn("a cluster node failed to store keys", "node", node.ID, "addr", node.Addr(), "err", err)
		return f.msg()
	}
	for _, r := range replies {
		if r.Kind == resp.KindError {
			cs.srv.log.Warn("a cluster node refused a key", "node", node.ID, "addr", node.Addr(), "reply", r.Str)
			return (&peerFailure{node: node, reply: r.Str}).msg()
		}
	}
	return ""
}

// cmdClusterImport is CLUSTER.IMPORT key payload: it stores a key another
// node hands over (storage.Export's encoding), with its tags, through this
// node's namespace rules, replacing the key, and replies 1 (0 when the
// key expired on the way). The reply waits for the key to be durable as
// its namespace says.
func cmdClusterImport(c *client, args [][]byte) {
	v, tags, err := storage.Import(args[2])
	if err != nil {
		c.out.Error(msgImportPayload)
		return
	}
	key := args[1]
	if exp := v.ExpireAt(); exp != 0 && exp <= c.srv.store.Now() {
		c.out.Int(0)
		return
	}
	c.srv.cache.Tags().Replace(c.tx.DB, string(key), tags) // before the tiers see the key
	c.tx.Set(key, v)
	c.out.Int(1)
}

// keysInSlots returns up to limit (negative: all) keys of database 0
// whose slot in accepts, from the memory tier and then the disk tier, in
// no order. It walks the memory tier a shard at a time, and reads the
// disk tier's whole key list: it costs time in the size of the keyspace.
func (s *Server) keysInSlots(in func(slot int) bool, limit int) ([]string, error) {
	var keys []string
	seen := map[string]bool{}
	full := func() bool { return limit >= 0 && len(keys) >= limit }
	for i := 0; i < storage.Shards && !full(); i++ {
		// Write mode: the scan reclaims the expired keys it meets.
		err := s.store.UpdateShard(0, i, func(tx *storage.Tx) error {
			tx.ScanShard(i, func(k string, _ storage.Value) {
				if !full() && in(cluster.Slot(keyBytes(k))) {
					k = strings.Clone(k)
					keys = append(keys, k)
					seen[k] = true
				}
			})
			return nil
		})
		if err != nil {
			return nil, err
		}
		runtime.Gosched()
	}
	if t := s.cache.Tier(); t != nil && !full() {
		onDisk, err := t.PersistedKeys(0, "")
		if err != nil {
			return nil, err
		}
		for _, k := range onDisk {
			if !full() && !seen[k] && in(cluster.Slot(keyBytes(k))) {
				keys = append(keys, k)
			}
		}
	}
	return keys, nil
}
