package rdb

import (
	"encoding/binary"
	"hash/crc64"
)

// Redis's CRC64 is the Jones polynomial (0xad93d23594c935a9), reflected,
// with no initial or final inversion. hash/crc64 computes reflected CRCs
// from the reversed polynomial and inverts before and after, so the
// inversions are undone around it.
var jonesTable = crc64.MakeTable(0x95ac9329ac4bc9b5)

// checksum returns Redis's crc64(0, p).
func checksum(p []byte) uint64 { return ^crc64.Update(^uint64(0), jonesTable, p) }

// Version is the RDB version of the payloads Dump writes, Redis 7.0's.
const Version = 10

// footerLen is the footer's size: the RDB version and the CRC64.
const footerLen = 2 + 8

// appendFooter appends the footer to a payload's body.
func appendFooter(b []byte) []byte {
	b = binary.LittleEndian.AppendUint16(b, Version)
	return binary.LittleEndian.AppendUint64(b, checksum(b))
}

// body checks a payload's footer as Redis's verifyDumpPayload does and
// returns what precedes it.
func body(payload []byte) ([]byte, error) {
	if len(payload) < footerLen {
		return nil, ErrChecksum
	}
	n := len(payload) - footerLen
	if binary.LittleEndian.Uint16(payload[n:]) > Version ||
		binary.LittleEndian.Uint64(payload[n+2:]) != checksum(payload[:n+2]) {
		return nil, ErrChecksum
	}
	return payload[:n], nil
}
