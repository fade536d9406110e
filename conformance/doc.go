// Package conformance is Strata's differential test suite: the same command
// scripts run against a real redis-server and against Strata, and the
// replies are compared byte for byte in raw RESP, after the model of
// alicebob/miniredis's integration tests.
//
// # Running
//
//	go test ./conformance                                  # Strata against the goldens; live Redis too when on PATH
//	STRATA_REQUIRE_REDIS=1 go test ./conformance           # as CI: a missing redis-server fails
//	go test ./conformance -run TestConformance -record     # re-record the goldens from redis-server
//
// Redis's replies are recorded as goldens in the script files themselves
// (testdata/*.txt), so a plain `go test` needs no redis-server. When
// redis-server is on PATH the test also starts one and re-checks every
// golden against it, so a golden that no longer matches Redis is caught.
// The Redis version the goldens came from is in testdata/REDIS_VERSION.
// The suite's redis-server listens on the first free port from 7400 to
// 7499, with no persistence and enable-debug-command local; Strata runs in
// process on a free port, with the same enable-debug-command. Both start
// with an empty ACL file (aclfile), so cases can run ACL SAVE and ACL LOAD;
// a case that changes users or the file puts them back with !cleanup
// steps. Both are in protected mode, Redis's default.
// A redis-server of another major.minor version is not checked live
// (skipped, or a failure under STRATA_REQUIRE_REDIS=1).
//
// The files in testdata/cluster run in cluster mode (TestClusterConformance,
// cluster_test.go): on Redis's side against node A of two redis-servers in
// cluster mode with fixed node ids and announced addresses, on Strata's
// against a cluster node with the same map. Record them with
//
//	go test ./conformance -run TestClusterConformance -record
//
// # Script files
//
// Each file in testdata holds one command family. Blank lines and lines
// starting with '#' are free text. A case starts with a header line
//
//	=== name [resp3]
//
// and every case runs on fresh connections, after the harness has sent
// FLUSHALL on a connection of its own and seen the server count no other
// client (so the last case's subscribers and waiters are gone). With
// resp3, every connection of the case sends HELLO 3 first. The case's steps follow, one a line:
//
//	SET k "hello world"        a command; arguments split on blanks, "..." is a Go string
//	@2 GET k                   the same on the case's second connection (opened when first used)
//	| INCR n                   pipelined: sent in one write with the steps that follow, up to
//	                           and including the next step without '|'
//	!raw [n] "*1\r\n$4\r\nPING\r\n"   raw bytes (Go strings, joined; "*N" after one repeats it
//	                           N times in all); reads n replies (default 1)
//	!inline SET k v            the rest of the line plus CRLF, as an inline command
//	!eof                       expects the server to close the connection
//	!scan MATCH k* COUNT 2     a full SCAN iteration from cursor 0 with these options; its
//	                           reply is the sorted set of keys returned, as a RESP array
//	!cleanup CONFIG SET x y    run on the harness's own connection after the case, even when
//	                           it fails, to undo global changes; no reply is recorded
//	@2 !send BLPOP q 0         a command sent without reading its reply: a later !recv on
//	                           the same connection reads it (a blocked client's reply)
//	@2 !recv [n]               reads n replies (default 1) the connection was not asked for
//	                           by a step of its own: messages published to a subscriber, the
//	                           rest of SUBSCRIBE a b's replies, a !send's reply
//	!blocked 1                 waits, on the harness's connection, until INFO clients shows
//	                           blocked_clients of 1, so the next step runs once a !send has
//	                           blocked; nothing is recorded
//	!busy                      waits, on the harness's connection, until PING is answered
//	                           BUSY, so the next step runs once a script a !send started
//	                           has run past busy-reply-threshold; nothing is recorded
//	@2 !dial 127.0.0.2         opens the case's second connection from the local address
//	                           127.0.0.2 (it must not be open yet): a client Redis's protected
//	                           mode takes as not loopback, whose rule is the peer being
//	                           exactly 127.0.0.1 or ::1; nothing is recorded
//
// Under each step the recorder writes the reply, one RESP line a line,
// indented by two spaces; a line that is empty or holds other than
// printable ASCII, or starts with '"', is written as a Go string. The
// pseudo replies <closed>, <open>, <timeout> and <broken> stand for a
// closed connection, one still open, a reply that did not come and a
// connection lost earlier in the case; a !blocked that is not met in time
// fails the case with <timeout: blocked_clients:N>.
//
// # Looser comparisons
//
// A step compares exactly unless its line ends with a comparison, which
// starts at the first unquoted word beginning with '~'. Each has a name,
// so a reader sees why a reply is not compared byte for byte:
//
//	~sorted           an array (or set) compared after sorting its elements: KEYS, unordered results
//	~int LO HI        an integer between LO and HI: TTL, PTTL, times
//	~type             the same RESP types and lengths, values not compared: ids, counts
//	~oneof A B ...    a bulk string that is one of A, B, ...: RANDOMKEY
//	~info F F=V #S    INFO text that has fields F (with value V) and section headers "# S";
//	                  F:a=1,b  a field whose value is the subfields a and b, in that order, a's
//	                  value 1 and b's any (commandstats, latencystats: times vary)
//	~kv F F=V         CLIENT LIST/INFO text: every line has at least Redis's fields and every
//	                  F, and some line has F=V
//	~map K ...        a map (RESP3) or flat array of pairs, compared as unordered pairs;
//	                  the values of keys K are compared by type only
//	~monitor          a MONITOR line compared without its time and client address: the
//	                  database, a script's "lua" and the command must match
//	~maps K ...       an array whose elements are compared each as ~map K ...: ACL LOG
//	~save NAME        compared by type; the reply's value is kept, and {{NAME}} in later
//	                  steps' arguments is replaced by it
//	~dump             a DUMP payload, compared by the value it holds: both decode (internal/rdb)
//	                  to the same RDB type and value, a set's members and a hash's fields in
//	                  any order (a hashtable's), a stream's deleted entries and its delivery
//	                  and seen times left out
//	~strata "RAW"     a deliberate difference from Redis 7.0: Strata must reply RAW (a Go
//	                  string), Redis the recorded reply; the case's comment says why
//
// When recording, each looser comparison is also checked against Redis's
// own reply, so a case whose bounds Redis itself does not meet is refused.
package conformance
