package storage

import "fmt"

// Kinds other than strings (lists, sets, sorted sets, hashes) are objects
// that DB.Set stores by pointer and commands change in place. The keyspace
// needs three things from each, which the kind's file registers from its
// init with registerObjectKind:
//
//   - what the object costs, kept current by the object itself so asking is
//     O(1): newRecord notes it in the record, so after an in-place change
//     the next DB.Set of the key accounts the difference (the old record
//     still holds the old cost). A command that changes an object in place
//     must therefore Set the key again (or Delete it when it became empty),
//     which also tells the listeners: WATCH, the disk tier, statistics.
//   - its OBJECT ENCODING name;
//   - a deep copy, for COPY.
type objectKind struct {
	// size returns the bytes v's object costs beyond its record.
	size func(v Value) int64
	// encoding returns what OBJECT ENCODING reports for v.
	encoding func(v Value) string
	// clone returns a value holding an independent copy of v's object,
	// without v's TTL.
	clone func(v Value) Value
}

var objectKinds [16]*objectKind

// registerObjectKind describes kind k; call it from the kind's init.
func registerObjectKind(k Kind, ops objectKind) {
	if k == KindString || objectKinds[k] != nil {
		panic(fmt.Sprintf("storage: object kind %v registered twice", k))
	}
	objectKinds[k] = &ops
}

// objectSize is what v's object costs, 0 for a kind not registered.
func objectSize(v Value) int64 {
	if ops := objectKinds[v.Kind()]; ops != nil {
		return ops.size(v)
	}
	return 0
}

// StoreObject records an in-place change of the object that v (a value
// looked up under key) holds: the key is stored again, so that memory is
// re-accounted and the listeners hear of it, or deleted when the object
// is now empty (Redis deletes empty lists, sets, sorted sets and hashes).
// It reports whether the key was deleted.
func (tx *Tx) StoreObject(key []byte, v Value, empty bool) bool {
	if empty {
		tx.Delete(key)
		return true
	}
	tx.Set(key, v)
	return false
}
