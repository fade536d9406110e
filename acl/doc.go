// Package acl is Strata's access control, as Redis 7.0's ACL has it: users
// with passwords and flags, and selectors that say which commands (by name,
// subcommand, first argument or category), which keys (~, %R~, %W~) and
// which pub/sub channels (&) a user may use.
//
// # Basics
//
// A Catalog describes the commands permissions are granted over: their
// full names ("get", "config|get"), categories and channel arguments. The
// server builds it once from its command table. Users is the set of users
// over a catalog, with the default user every connection starts as; it
// applies ACL SETUSER rules (SetUser), authenticates (Authenticate), and
// reads and writes the text of an ACL file (Load, Save). A User's Check
// decides whether it may run a command line. Log is the ACL LOG.
//
// Users, User and Log are safe for concurrent use: a user's rules are an
// immutable snapshot replaced as a whole by SetUser and Load, so Check
// takes no lock.
//
// # Caveats
//
// The package does no I/O and knows no reply texts: it returns the
// sentinel errors of errors.go, which the server words as Redis does.
// Describe (ACL LIST, GETUSER, SAVE) rebuilds a user's command rules from
// its permissions with Redis 7.0's best-fit over categories, then single
// commands, which it lists in name order where Redis's order is its hash
// table's.
package acl
