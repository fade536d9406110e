package rdb

import "errors"

var (
	// ErrChecksum means a payload is too short, of a newer RDB version
	// than 10, or fails its CRC64: Redis's "DUMP payload version or
	// checksum are wrong".
	ErrChecksum = errors.New("rdb: payload version or checksum are wrong")
	// ErrFormat means a payload's checksum holds but its value does not
	// decode: Redis's "Bad data format".
	ErrFormat = errors.New("rdb: bad data format")
)
