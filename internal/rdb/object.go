package rdb

// Type is an RDB value type, the first byte of a payload.
type Type uint8

// The RDB types of Redis 7.0 (rdb.h). Dump writes TypeString,
// TypeListQuicklist2, TypeSet, TypeSetIntset, TypeZSet2, TypeZSetListpack,
// TypeHash, TypeHashListpack and TypeStreamListpacks2; Load reads all but
// the module types.
const (
	TypeString           Type = 0
	TypeList             Type = 1
	TypeSet              Type = 2
	TypeZSet             Type = 3
	TypeHash             Type = 4
	TypeZSet2            Type = 5
	TypeModule           Type = 6
	TypeModule2          Type = 7
	TypeHashZipmap       Type = 9
	TypeListZiplist      Type = 10
	TypeSetIntset        Type = 11
	TypeZSetZiplist      Type = 12
	TypeHashZiplist      Type = 13
	TypeListQuicklist    Type = 14
	TypeStreamListpacks  Type = 15
	TypeHashListpack     Type = 16
	TypeZSetListpack     Type = 17
	TypeListQuicklist2   Type = 18
	TypeStreamListpacks2 Type = 19
)

// Kind is the data type a Type holds.
type Kind uint8

// The kinds of value.
const (
	KindString Kind = iota
	KindList
	KindSet
	KindZSet
	KindHash
	KindStream
	kindNone
)

// Kind returns the data type t holds.
func (t Type) Kind() Kind {
	switch t {
	case TypeString:
		return KindString
	case TypeList, TypeListZiplist, TypeListQuicklist, TypeListQuicklist2:
		return KindList
	case TypeSet, TypeSetIntset:
		return KindSet
	case TypeZSet, TypeZSet2, TypeZSetZiplist, TypeZSetListpack:
		return KindZSet
	case TypeHash, TypeHashZipmap, TypeHashZiplist, TypeHashListpack:
		return KindHash
	case TypeStreamListpacks, TypeStreamListpacks2:
		return KindStream
	}
	return kindNone
}

// Object is one value of a payload and the RDB type it is written as.
// The field of its type's kind holds the value; the others are nil.
type Object struct {
	Type   Type
	String []byte
	// List holds a list's elements, head first.
	List [][]byte
	// Set holds a set's members (an intset's ascending).
	Set [][]byte
	// ZSet holds a sorted set's members in the payload's order: ascending
	// for a listpack, descending as Redis writes a skiplist.
	ZSet []ZMember
	// Hash holds a hash's fields in the payload's order.
	Hash   []HashField
	Stream *Stream
}

// ZMember is a member of a sorted set and its score.
type ZMember struct {
	Member []byte
	Score  float64
}

// HashField is a field of a hash and its value.
type HashField struct {
	Field, Value []byte
}
