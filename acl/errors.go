package acl

import (
	"errors"
	"fmt"
)

// Why a rule (an ACL SETUSER argument or a word of an ACL file) is refused.
var (
	// ErrUnknownName: a +command, -command or @category that does not exist.
	ErrUnknownName = errors.New("acl: unknown command or category name")
	// ErrSyntax: a rule that is not understood, or a pattern with spaces.
	ErrSyntax = errors.New("acl: syntax error")
	// ErrKeysAfterAll: a key pattern after ~* or allkeys.
	ErrKeysAfterAll = errors.New("acl: key pattern after allkeys")
	// ErrChannelsAfterAll: a channel pattern after &* or allchannels.
	ErrChannelsAfterAll = errors.New("acl: channel pattern after allchannels")
	// ErrNoSuchPassword: <password or !hash names no password of the user.
	ErrNoSuchPassword = errors.New("acl: no such password")
	// ErrBadHash: #hash or !hash is not 64 lower-case hex digits.
	ErrBadHash = errors.New("acl: invalid password hash")
	// ErrSubcommandFirstArg: +command|sub|arg, a first argument of a
	// subcommand.
	ErrSubcommandFirstArg = errors.New("acl: first argument of a subcommand")
)

// Why a user definition is refused as a whole.
var (
	// ErrUsernameSpaces: a user name with a space or NUL.
	ErrUsernameSpaces = errors.New("acl: user name with spaces")
	// ErrUnmatchedParen: a selector "(" without its ")".
	ErrUnmatchedParen = errors.New("acl: unmatched parenthesis in selector")
	// ErrDuplicateUser: an ACL file defines a user twice.
	ErrDuplicateUser = errors.New("acl: duplicate user")
	// ErrNotUserLine: an ACL file line that is not "user <name> ...".
	ErrNotUserLine = errors.New("acl: line is not a user definition")
	// ErrDeleteDefault: the default user cannot be deleted.
	ErrDeleteDefault = errors.New("acl: the default user cannot be deleted")
)

// RuleError is a refused rule of ACL SETUSER: which one, and why (one of
// the rule errors above).
type RuleError struct {
	Rule string
	Err  error
}

func (e *RuleError) Error() string { return fmt.Sprintf("acl: rule %q: %v", e.Rule, e.Err) }
func (e *RuleError) Unwrap() error { return e.Err }

// ParenError is a selector opened and never closed: Arg is the argument
// that opens it.
type ParenError struct{ Arg string }

func (e *ParenError) Error() string { return fmt.Sprintf("acl: unmatched parenthesis at %q", e.Arg) }
func (e *ParenError) Unwrap() error { return ErrUnmatchedParen }

// LineError is one problem of an ACL file: its line (from 1), the user
// name when the line has one, and the error (ErrNotUserLine,
// ErrUsernameSpaces, ErrDuplicateUser, ErrUnmatchedParen or a rule error).
type LineError struct {
	Line int
	User string
	Err  error
}

// LoadError lists every problem of an ACL file that Load refused; none of
// the file was applied.
type LoadError []LineError

func (e LoadError) Error() string {
	return fmt.Sprintf("acl: %d errors, first on line %d: %v", len(e), e[0].Line, e[0].Err)
}
