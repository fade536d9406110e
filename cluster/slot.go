// Package cluster is Redis Cluster's key space, as Strata serves it: the
// 16,384 hash slots keys fall in (CRC16 of the key, or of its hash tag),
// and the slot map that says which node serves each slot.
//
// # Basics
//
// Slot gives a key's slot as Redis Cluster computes it, so that any
// cluster-aware client routes a key to the node Strata expects. A Map is
// one version of the topology: the nodes (an id and a host:port each),
// the slots each owns, and the slots on their way from their owner to
// another node. Maps are written as arguments (Parse, Map.Args), the form
// CLUSTER.SETMAP takes, the config file is turned into and a node saves.
//
// Strata has no gossip and no consensus: a map is pushed from outside to
// every node, and a node accepts only a map of a higher version than its
// own, so pushes that cross or repeat cannot move a node backwards.
//
// # Caveats
//
// A Map must give every slot an owner: Strata has no notion of a
// partially served cluster. A Map is immutable once built, and safe for
// concurrent use.
package cluster

// Slots is the number of hash slots, as in Redis Cluster.
const Slots = 16384

// Slot returns key's hash slot: the CRC16 of the key, or of its hash tag
// (the text between the first '{' and the first '}' after it, when that
// is not empty), modulo Slots.
func Slot(key []byte) int {
	for i, c := range key {
		if c != '{' {
			continue
		}
		for j := i + 1; j < len(key); j++ {
			if key[j] == '}' {
				if j > i+1 {
					key = key[i+1 : j]
				}
				return int(crc16(key)) & (Slots - 1)
			}
		}
		break
	}
	return int(crc16(key)) & (Slots - 1)
}

// crc16 is CRC-16/XMODEM (polynomial 0x1021, initial value 0), the
// checksum Redis Cluster hashes keys with.
func crc16(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc = crc<<8 ^ crcTable[byte(crc>>8)^c]
	}
	return crc
}

var crcTable = func() (t [256]uint16) {
	for i := range t {
		crc := uint16(i) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
		t[i] = crc
	}
	return t
}()
