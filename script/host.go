package script

// Host is the server a script runs in. It runs the script's commands as
// Redis runs them on its scripting pseudo-client: through the command
// table, with the checks, keyspace events, statistics and write path of
// the same command sent by a client, and without taking locks again (the
// caller of Run holds what a script needs). The Engine calls it only
// during Run, from Run's goroutine.
type Host interface {
	// Lookup finds the command args names (args[0], with args[1] for a
	// container such as CLIENT) and checks that a script may run it with
	// these arguments. It returns ErrUnknownCommand, ErrWrongArity,
	// ErrDenied or a *PermissionError when it may not, checked in that
	// order.
	Lookup(args [][]byte) (Command, error)
	// Call runs cmd, as Lookup found it, with args, and returns its reply:
	// one complete RESP value in the protocol opts asks for. The reply is
	// the host's and valid until the next Call.
	Call(cmd Command, args [][]byte, opts CallOptions) []byte
}

// Command is a command a script may run, as Host.Lookup found it.
type Command struct {
	// Write marks the commands read-only scripts may not run: Redis's
	// write and may-replicate commands. Once a script has run one, Kill
	// cannot stop it, and its commands are no longer refused for memory.
	Write bool
	// Handle is the host's own reference to the command, for Call.
	Handle any
}

// CallOptions say how Host.Call runs a command for the script.
type CallOptions struct {
	// RESP3 selects the protocol of the reply (redis.setresp).
	RESP3 bool
	// RefuseOOM refuses a deny-oom command while memory is over
	// maxmemory. Redis refuses it until the script's first write, unless
	// the script declares allow-oom.
	RefuseOOM bool
}
