// Package resp reads Redis requests and writes Redis replies, in RESP2 and
// RESP3, as redis-server 7.0 does.
//
// # Basics
//
// A Reader parses requests from a connection: RESP multibulks, and the
// inline commands of telnet and redis-cli's pipe mode, split as Redis's
// sdssplitargs splits them. It applies Redis's limits (inline and bulk
// count lines of 64 KB, proto-max-bulk-len, client-query-buffer-limit,
// and the small requests allowed before AUTH) and returns a ProtocolError
// with Redis's wording for a request it refuses.
//
// A Writer accumulates replies until the caller writes them out. Its
// methods are named after the reply types (Simple, Error, Int, Bulk,
// Array, Map, Set, Double, Null...); a RESP3 type written to a RESP2
// Writer comes out as Redis downgrades it. A Node is a parsed RESP3 value,
// kept to be replayed through a Writer in either protocol.
//
// The other direction, a client's, is small: AppendCommand encodes a
// command and ReadReply reads a RESP2 reply, which is all a cluster node
// needs to call the others.
//
// # Caveats
//
// Arguments returned by Reader.Next alias its buffer and the slice of
// Writer.Bytes aliases the Writer's: each is valid until the next call
// that reads or writes, and must be copied to be kept. Neither type is
// safe for concurrent use. Parse accepts only the RESP3 types a Node
// holds (status, bulk string, integer, array, set, map).
package resp
