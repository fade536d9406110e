// Package rdb encodes and decodes the object payloads of Redis 7.0's DUMP
// and RESTORE: one value in the RDB format (version 10), as a type byte
// and the value's encoding, followed by a footer of the two-byte RDB
// version and a CRC64 (Jones polynomial, as Redis's crc64.c) of all that
// precedes it.
//
// # Basics
//
// DumpFunctions and LoadFunctions write and read FUNCTION DUMP's payload
// of function libraries (function.go), in the same format.
//
// Dump writes an Object and Load reads one; an Object holds a value as
// plain Go values (byte slices, pairs, a stream's nodes and groups) with
// the RDB type it is, or is to be, written as. The package knows nothing
// of Strata's storage: the server converts between its values and
// Objects.
//
// Load reads every type Redis 7.0 loads, the older encodings included
// (plain lists, ziplists, zipmaps, quicklists of ziplists, sorted sets
// with string scores, version 1 streams); Dump writes the encodings Redis
// 7.0 itself writes, with Redis's integer and LZF string encodings, and
// splits a list into listpacks as Redis's quicklist does for a list built
// by pushes (list-max-listpack-size -2).
//
// # Caveats
//
//   - Load checks a payload as Redis does with sanitize-dump-payload yes:
//     every listpack, ziplist and intset is walked whole, duplicate fields
//     and members, a stream entry out of ID order or a pending entry with
//     no consumer are errors. Corrupt input is an error (ErrChecksum or
//     ErrFormat), never a panic.
//   - As Redis, Load reads the value from the whole payload: bytes between
//     the value and the footer are ignored, and a value cut short reads on
//     into the footer.
//   - Load refuses, where Redis loads them: a sorted set's listpack score
//     that is not a number (Redis reads its longest numeric prefix, or 0),
//     and a stream whose entries are out of ID order or past its last ID,
//     or whose length is not its count of live entries, which Redis takes
//     as written.
//   - Module types are refused (ErrFormat): Strata has no modules.
//   - Slices of a loaded Object may share the payload's memory; those of an
//     Object given to Dump are only read.
package rdb
