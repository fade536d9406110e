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
)

// Why a run was stopped: the cause of its context.
var (
	errKilled  = errors.New("script: killed by SCRIPT KILL")
	errTimeout = errors.New("script: ran past the time limit")
	errClosing = errors.New("script: server closing")
)

// CompileError is a script that does not compile or whose shebang is
// invalid.
type CompileError struct {
	// Reply is Redis's error reply to it, code first ("ERR Error
	// compiling script (new function): user_script:1: ...").
	Reply string
}

func (e *CompileError) Error() string { return "script: " + e.Reply }

// compileError returns a *CompileError of the reply format fills in.
func compileError(format string, args ...any) error {
	return &CompileError{Reply: fmt.Sprintf(format, args...)}
}
