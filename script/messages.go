package script

// The text of the replies and Lua errors scripts get, as Redis 7.0 words
// them. Those raised inside a script carry no code: the script's error
// path adds "ERR " as Redis's luaPushError does.
const (
	msgCompile        = "ERR Error compiling script (new function): %s"
	msgShebangInvalid = "ERR Invalid script shebang"
	msgShebangEngine  = "ERR Unexpected engine in script shebang: %s"
	msgShebangFlag    = "ERR Unexpected flag in script shebang: %s"
	msgShebangOption  = "ERR Unknown lua shebang option: %s"
	msgKilled         = "Script killed by user with SCRIPT KILL..."
	msgTimedOut       = "Script killed after running longer than busy-reply-threshold (lua-time-limit) of %d milliseconds"
	msgServerClosing  = "Script killed: the server is shutting down"
	msgNoArgs         = "Please specify at least one argument for this redis lib call"
	msgArgType        = "Lua redis lib command arguments must be strings or integers"
	msgUnknownCommand = "Unknown Redis command called from script"
	msgWrongArity     = "Wrong number of args calling Redis command from script"
	msgDenied         = "This Redis command is not allowed from script"
	msgReadOnly       = "Write commands are not allowed from read-only scripts."
	msgReadonlyTable  = "Attempt to modify a readonly table"
	msgNoGlobal       = "Script attempted to access nonexistent global variable '%s'"
	msgStackLimit     = "ERR reached lua stack limit"
	msgUnknownError   = "ERR unknown error"
)
