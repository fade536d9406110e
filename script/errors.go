package script

import (
	"errors"
	"fmt"
)

// Errors a Host's Lookup returns for a command a script may not run; the
// script sees each as Redis words it.
var (
	ErrUnknownCommand = errors.New("script: unknown command")
	ErrWrongArity     = errors.New("script: wrong number of arguments")
	ErrDenied         = errors.New("script: command not allowed from scripts")
)

// PermissionError is a command a Host's Lookup refuses because the
// script's user may not run it, with these arguments; the script sees
// Reply as the error ("ERR " and Reply, as Redis words it).
type PermissionError struct{ Reply string }

func (e *PermissionError) Error() string { return "script: " + e.Reply }

// Errors of Engine.Kill.
var (
	ErrNotBusy    = errors.New("script: no script is running")
	ErrUnkillable = errors.New("script: the running script has written")
	// ErrKillEval: FUNCTION KILL while an EVAL script runs.
	ErrKillEval = errors.New("script: the running script is not a function")
	// ErrKillFunction: SCRIPT KILL while a function runs.
	ErrKillFunction = errors.New("script: the running script is a function")
)

// Why a run was stopped: the cause of its context.
var (
	errKilled      = errors.New("script: killed by SCRIPT KILL")
	errClosing     = errors.New("script: server closing")
	errLoadTimeout = errors.New("script: FUNCTION LOAD ran too long")
)

// ReplyError is an error whose reply Redis words in its own way: a script
// that does not compile or whose shebang is invalid, a library that
// FUNCTION LOAD or FUNCTION RESTORE refuses, a library or function that
// does not exist.
type ReplyError struct {
	// Reply is Redis's error reply to it, code first ("ERR Error
	// compiling script (new function): user_script:1: ...").
	Reply string
}

func (e *ReplyError) Error() string { return "script: " + e.Reply }

// replyError returns a *ReplyError of the reply format fills in.
func replyError(format string, args ...any) error {
	return &ReplyError{Reply: fmt.Sprintf(format, args...)}
}
