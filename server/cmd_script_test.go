package server

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/stratakv/strata/policy"
	"github.com/stratakv/strata/script"
)

func sha1Hex(s string) string {
	sum := sha1.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// evalCase is one command and the raw reply redis-server 7.0.15 gave.
type evalCase struct {
	name string
	args []string
	want string
}

func runEvalCases(t *testing.T, c *rawConn, cases []evalCase) {
	t.Helper()
	for _, tc := range cases {
		if got := c.do(tc.args...); got != tc.want {
			t.Errorf("%s: %q\n got %q\nwant %q", tc.name, tc.args, got, tc.want)
		}
	}
}

// TestEvalReplies checks scripts' replies and errors against those of
// redis-server 7.0.15, pasted here. The cases run in order on one
// connection.
func TestEvalReplies(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	runEvalCases(t, c, []evalCase{
		{"integer", []string{"eval", "return 1", "0"}, ":1\r\n"},
		{"float truncates", []string{"eval", "return 3.99", "0"}, ":3\r\n"},
		{"negative float truncates", []string{"eval", "return -3.99", "0"}, ":-3\r\n"},
		{"true is 1", []string{"eval", "return true", "0"}, ":1\r\n"},
		{"false is null", []string{"eval", "return false", "0"}, "$-1\r\n"},
		{"nil is null", []string{"eval", "return nil", "0"}, "$-1\r\n"},
		{"string", []string{"eval", "return 'hi'", "0"}, "$2\r\nhi\r\n"},
		{"binary string", []string{"eval", "return 'a\\r\\nb'", "0"}, "$4\r\na\r\nb\r\n"},
		{"array stops at nil", []string{"eval", "return {1,2,3,nil,4}", "0"}, "*3\r\n:1\r\n:2\r\n:3\r\n"},
		{"nested array", []string{"eval", "return {1,'a',{2,{}},false,true}", "0"},
			"*5\r\n:1\r\n$1\r\na\r\n*2\r\n:2\r\n*0\r\n$-1\r\n:1\r\n"},
		{"hash table is an empty array", []string{"eval", "return {a=1}", "0"}, "*0\r\n"},
		{"err table", []string{"eval", "return {err='x'}", "0"}, "-x\r\n"},
		{"err table newlines", []string{"eval", "return {err='x\\r\\ny'}", "0"}, "-x  y\r\n"},
		{"ok table", []string{"eval", "return {ok='fine'}", "0"}, "+fine\r\n"},
		{"ok wins over array", []string{"eval", "return {ok='a', err='b'}", "0"}, "-b\r\n"},
		{"ok not a string", []string{"eval", "return {ok=1}", "0"}, "*0\r\n"},
		{"error_reply", []string{"eval", "return redis.error_reply('x')", "0"}, "-ERR x\r\n"},
		{"error_reply code", []string{"eval", "return redis.error_reply('MY x')", "0"}, "-MY x\r\n"},
		{"error_reply dash code", []string{"eval", "return redis.error_reply('-ERRX y')", "0"}, "-ERRX y\r\n"},
		{"error_reply dash no space", []string{"eval", "return redis.error_reply('-noSpace')", "0"}, "-ERR noSpace\r\n"},
		{"error_reply no args", []string{"eval", "return redis.error_reply()", "0"}, "-ERR wrong number or type of arguments\r\n"},
		{"error_reply number", []string{"eval", "return redis.error_reply(1)", "0"}, "-ERR wrong number or type of arguments\r\n"},
		{"status_reply", []string{"eval", "return redis.status_reply('x')", "0"}, "+x\r\n"},
		{"status_reply newlines", []string{"eval", "return redis.status_reply('a\\r\\nb')", "0"}, "+a  b\r\n"},
		{"status_reply no args", []string{"eval", "return redis.status_reply()", "0"}, "-ERR wrong number or type of arguments\r\n"},
		{"double in RESP2", []string{"eval", "return {double=3.5}", "0"}, "$3\r\n3.5\r\n"},
		{"map in RESP2", []string{"eval", "return {map={a=1}}", "0"}, "*2\r\n$1\r\na\r\n:1\r\n"},
		{"set in RESP2", []string{"eval", "return {set={a=true}}", "0"}, "*1\r\n$1\r\na\r\n"},
		{"setresp 3 false", []string{"eval", "redis.setresp(3); return false", "0"}, ":0\r\n"},
		{"setresp 3 true", []string{"eval", "redis.setresp(3); return true", "0"}, ":1\r\n"},
		{"setresp 3 nil", []string{"eval", "redis.setresp(3); return nil", "0"}, "$-1\r\n"},
		{"big_number in RESP2", []string{"eval", "redis.setresp(3); return {big_number='123'}", "0"}, "$3\r\n123\r\n"},
		{"verbatim in RESP2", []string{"eval", "redis.setresp(3); return {verbatim_string={format='txt', string='hi'}}", "0"}, "$2\r\nhi\r\n"},
		{"sha1hex", []string{"eval", "return redis.sha1hex('')", "0"}, "$40\r\nda39a3ee5e6b4b0d3255bfef95601890afd80709\r\n"},
		{"sha1hex number", []string{"eval", "return redis.sha1hex(12)", "0"}, "$40\r\n7b52009b64fd0a2a49e6d8a939753077792b0554\r\n"},
		{"KEYS and ARGV", []string{"eval", "return {KEYS[1], ARGV[1]}", "1", "k", "a"}, "*2\r\n$1\r\nk\r\n$1\r\na\r\n"},
		{"counts", []string{"eval", "return #KEYS + #ARGV", "2", "a", "b", "c"}, ":3\r\n"},
		{"no KEYS", []string{"eval", "return KEYS", "0"}, "*0\r\n"},
		{"version", []string{"eval", "return redis.REDIS_VERSION", "0"}, "$6\r\n7.0.15\r\n"},
		{"lua version", []string{"eval", "return _VERSION", "0"}, "$7\r\nLua 5.1\r\n"},
		{"replicate_commands", []string{"eval", "return redis.replicate_commands()", "0"}, ":1\r\n"},
		{"set_repl", []string{"eval", "return redis.set_repl(redis.REPL_ALL)", "0"}, "$-1\r\n"},
		{"breakpoint", []string{"eval", "return redis.breakpoint()", "0"}, "$-1\r\n"},
		{"debug", []string{"eval", "return redis.debug('x')", "0"}, "$-1\r\n"},
		{"log", []string{"eval", "return redis.log(redis.LOG_WARNING, 'hello', 'world', 3)", "0"}, "$-1\r\n"},
		{"acl_check_cmd", []string{"eval", "return redis.acl_check_cmd('get','a')", "0"}, ":1\r\n"},
		{"loadstring", []string{"eval", "return loadstring('return 1')()", "0"}, ":1\r\n"},
		{"local function", []string{"eval", "local f = function() return 5 end; return f()", "0"}, ":5\r\n"},
		{"KEYS writable", []string{"eval", "KEYS[1] = 'x' return KEYS[1]", "0"}, "$1\r\nx\r\n"},
		{"setmetatable on own table", []string{"eval", "local t = setmetatable({}, {}) return 1", "0"}, ":1\r\n"},
		{"string methods", []string{"eval", "return ('x'):upper()", "0"}, "$1\r\nX\r\n"},
		{"bit", []string{"eval", "return bit.tohex(bit.band(0xff, 0x0f))", "0"}, "$8\r\n0000000f\r\n"},
	})
}

// TestEvalErrors checks error replies against redis-server 7.0.15's.
func TestEvalErrors(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	c.expect("+OK\r\n", "set", "s", "bar")
	runEvalCases(t, c, []evalCase{
		{"global write", []string{"eval", "x = 1", "0"},
			"-ERR user_script:1: Attempt to modify a readonly table script: 34bce5f775de97f557a34088509c8bfe1ea17e52, on @user_script:1.\r\n"},
		{"_G write", []string{"eval", "_G.x = 1", "0"},
			"-ERR user_script:1: Attempt to modify a readonly table script: e5cf4a26667af1721988fe8c9829d5cd2e26c62e, on @user_script:1.\r\n"},
		{"missing global", []string{"eval", "return y", "0"},
			"-ERR user_script:1: Script attempted to access nonexistent global variable 'y' script: e278681ed961e2fb52881313e5c90fdd93749940, on @user_script:1.\r\n"},
		{"library write", []string{"eval", "redis.call = nil", "0"},
			"-ERR user_script:1: Attempt to modify a readonly table script: 2786c35ed73d3860851cf52e0b5dfbbc0bdb4803, on @user_script:1.\r\n"},
		{"string library write", []string{"eval", "string.x = 1", "0"},
			"-ERR user_script:1: Attempt to modify a readonly table script: c3eb0a2a15b3d4790b323c4104029c1ae425a769, on @user_script:1.\r\n"},
		{"string metatable write", []string{"eval", "getmetatable('').__index = 1", "0"},
			"-ERR user_script:1: Attempt to modify a readonly table script: b6891165ebdc534f0f374ecfee85c5d46f13aac3, on @user_script:1.\r\n"},
		{"rawset global", []string{"eval", "rawset(_G, 'x', 1)", "0"},
			"-ERR Attempt to modify a readonly table script: e2c706419da183d6229a1230c3be09cc32cdeee0, on @user_script:1.\r\n"},
		{"setmetatable _G", []string{"eval", "setmetatable(_G, nil)", "0"},
			"-ERR Attempt to modify a readonly table script: 22fdd3b51da2d4bc6703d71d651cd782d8e5a35f, on @user_script:1.\r\n"},
		{"no os library", []string{"eval", "return os", "0"},
			"-ERR user_script:1: Script attempted to access nonexistent global variable 'os' script: " + sha1Hex("return os") + ", on @user_script:1.\r\n"},
		{"unknown command", []string{"eval", "return redis.call('foo')", "0"},
			"-ERR Unknown Redis command called from script script: cc78c5a793d041f28ab0f6b117a82d1428ccfd13, on @user_script:1.\r\n"},
		{"unknown subcommand", []string{"eval", "return redis.call('config', 'bogus')", "0"},
			"-ERR Unknown Redis command called from script script: 0288430f54c9cca850005d02e6d912f3033d069b, on @user_script:1.\r\n"},
		{"container without subcommand", []string{"eval", "return redis.call('config')", "0"},
			"-ERR Wrong number of args calling Redis command from script script: 7606e80c4491d47b7e4d27375c865fbb82912077, on @user_script:1.\r\n"},
		{"wrong arity", []string{"eval", "return redis.call('get')", "0"},
			"-ERR Wrong number of args calling Redis command from script script: f187dee77f607f7cff00bbabc9df38507582c78d, on @user_script:1.\r\n"},
		{"no arguments", []string{"eval", "return redis.call()", "0"},
			"-ERR Please specify at least one argument for this redis lib call script: 0a907e1429221a4d85516cab7fd219a82a9439d8, on @user_script:1.\r\n"},
		{"pcall no arguments", []string{"eval", "return redis.pcall()", "0"},
			"-ERR Please specify at least one argument for this redis lib call\r\n"},
		{"table argument", []string{"eval", "return redis.call('get', {})", "0"},
			"-ERR Lua redis lib command arguments must be strings or integers script: 4368e88f98d93af9caf358186e5fbf273374ee91, on @user_script:1.\r\n"},
		{"command error", []string{"eval", "return redis.call('incr','s')", "0"},
			"-ERR value is not an integer or out of range script: c243b9f46db13ba8f69da41b45a77708832babed, on @user_script:1.\r\n"},
		{"command error, no return", []string{"eval", "redis.call('incr','s')", "0"},
			"-ERR value is not an integer or out of range script: 4e8bda9ccaa866c5e516d3385efec0a444017302, on @user_script:1.\r\n"},
		{"pcall returns the error", []string{"eval", "return redis.pcall('incr','s')", "0"},
			"-ERR value is not an integer or out of range\r\n"},
		{"pcall error table", []string{"eval", "local e = redis.pcall('incr', 's'); return {type(e), e.err, tostring(e.source)}", "0"},
			"*3\r\n$5\r\ntable\r\n$43\r\nERR value is not an integer or out of range\r\n$3\r\nnil\r\n"},
		{"Lua pcall gives the err string", []string{"eval", "local ok, e = pcall(redis.call, 'incr', 's'); return e", "0"},
			"$43\r\nERR value is not an integer or out of range\r\n"},
		{"Lua pcall of error table", []string{"eval", "local ok, e = pcall(function() error({err='x'}) end); return type(e)", "0"},
			"$6\r\nstring\r\n"},
		{"Lua pcall of error string", []string{"eval", "local ok, e = pcall(function() error('x') end); return e", "0"},
			"$16\r\nuser_script:1: x\r\n"},
		{"error string", []string{"eval", "error('boom')", "0"},
			"-ERR user_script:1: boom script: 82903a0434f1503e152f89c03c9acd881a0e8150, on @user_script:1.\r\n"},
		{"error on line 3", []string{"eval", "\nlocal a = 1\nerror('line3')", "0"},
			"-ERR user_script:3: line3 script: e2e5cbb48125179eb012e7fbb580f422aab4fd20, on @user_script:3.\r\n"},
		{"error number", []string{"eval", "error(123)", "0"},
			"-ERR user_script:1: 123 script: 11e4dc32230d2c1e720fc094a49809887ce1381a, on @user_script:1.\r\n"},
		{"error level 2", []string{"eval", "local function f() error('inner', 2) end\n f()", "0"},
			"-ERR user_script:2: inner script: c9ebf2b8d163f77a8d496496732881bae636b6f5, on @user_script:1.\r\n"},
		{"error nil", []string{"eval", "error()", "0"},
			"-ERR nil script: aca90d914519fdb9825352bdc0befb59f7c8510f, on @user_script:1.\r\n"},
		{"pcall(error)", []string{"eval", "local ok, e = pcall(error) return tostring(e)", "0"}, "$3\r\nnil\r\n"},
		{"error level 0", []string{"eval", "error('x', 0)", "0"},
			"-ERR x script: a8325ab498c94f38b1b3e86862697a313b6dbe35, on @user_script:1.\r\n"},
		{"error table", []string{"eval", "error({err='MY boom'})", "0"},
			"-MY boom script: 4c2ee35ef37c857625d6ec6d812eab72377cfa97, on @user_script:1.\r\n"},
		{"error table without code", []string{"eval", "error({err='boom'})", "0"},
			"-boom script: b4008f1a5b8fc868d0c8eace17f627e4976c6595, on @user_script:1.\r\n"},
		{"error with newline", []string{"eval", "error('a\\nb')", "0"},
			"-ERR user_script:1: a b script: 119790126df3fc201f8f0498095b28c62b174151, on @user_script:1.\r\n"},
		{"log without message", []string{"eval", "redis.log()", "0"},
			"-ERR redis.log() requires two arguments or more. script: 832b44eaff8743413d7a371df1c038871278515a, on @user_script:1.\r\n"},
		{"log level", []string{"eval", "redis.log(99, 'x')", "0"},
			"-ERR Invalid debug level. script: 565e201a96e8ec463b56090cf8419fce86ea26cf, on @user_script:1.\r\n"},
		{"log level type", []string{"eval", "redis.log('a', 'x')", "0"},
			"-ERR First argument must be a number (log level). script: 40d609c379bc35cf24d3b3ab6a58784cb66d2b4e, on @user_script:1.\r\n"},
		{"sha1hex arity", []string{"eval", "return redis.sha1hex()", "0"},
			"-ERR wrong number of arguments script: 3c7ce947ae74a835cc575b6ee87fb27503cb7ba4, on @user_script:1.\r\n"},
		{"setresp 4", []string{"eval", "redis.setresp(4)", "0"},
			"-ERR RESP version must be 2 or 3. script: 68e72e4d8a428b9f599dce492315f2455a425a82, on @user_script:1.\r\n"},
		{"setresp arity", []string{"eval", "redis.setresp()", "0"},
			"-ERR redis.setresp() requires one argument. script: 42aacaf580759e59c97e8b1974d08a62f960014f, on @user_script:1.\r\n"},
		{"set_repl flags", []string{"eval", "return redis.set_repl(99)", "0"},
			"-ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE. script: fae934173b6296d6836d5d5f52e192640f8897d9, on @user_script:1.\r\n"},
		{"set_repl arity", []string{"eval", "return redis.set_repl()", "0"},
			"-ERR redis.set_repl() requires two arguments. script: 9504533b41060c143a92eb2f8878e77d33b6dc33, on @user_script:1.\r\n"},
		{"acl_check_cmd unknown", []string{"eval", "return redis.acl_check_cmd('nocmd')", "0"},
			"-ERR Invalid command passed to redis.acl_check_cmd() script: b1c7b7cf0380db354e5957d5e405a51fdee76f63, on @user_script:1.\r\n"},
		{"denied MULTI", []string{"eval", "return redis.call('multi')", "0"},
			"-ERR This Redis command is not allowed from script script: c329a1a294be6bf95b44144f7502610661ae925a, on @user_script:1.\r\n"},
		{"denied EVAL", []string{"eval", "return redis.call('eval', 'return 1', 0)", "0"},
			"-ERR This Redis command is not allowed from script script: 310efa61ec0f2edf6c2e5b4007966dd555e75546, on @user_script:1.\r\n"},
		{"denied SUBSCRIBE", []string{"eval", "return redis.call('subscribe', 'c')", "0"},
			"-ERR This Redis command is not allowed from script script: ef3d3b3db03eea01b69a3675b5e27984671b35c3, on @user_script:1.\r\n"},
		{"denied BLPOP", []string{"eval", "return redis.call('blpop', 'l', 0)", "0"},
			"-ERR This Redis command is not allowed from script script: 9796143aa36f79ff4329423cd8247733070488e9, on @user_script:1.\r\n"},
		{"denied CLIENT LIST", []string{"eval", "return redis.call('client', 'list')", "0"},
			"-ERR This Redis command is not allowed from script script: bb22f08e252c649513caaeb45ef32d8f6d770c75, on @user_script:1.\r\n"},
		{"denied WATCH", []string{"eval", "return redis.call('watch', 'x')", "0"},
			"-ERR This Redis command is not allowed from script script: 2145a9e9d92db8f07774fabbaa3d4c5e443be426, on @user_script:1.\r\n"},
		{"denied CACHE.INVALIDATE (it locks the store itself)", []string{"eval", "return redis.call('cache.invalidate', 'PATTERN', 'x*')", "0"},
			"-ERR This Redis command is not allowed from script script: " + sha1Hex("return redis.call('cache.invalidate', 'PATTERN', 'x*')") + ", on @user_script:1.\r\n"},
		{"Strata's own commands run", []string{"eval", "return redis.call('cache.set', 'ck', 'v', 'TAGS', 't')", "0"}, "+OK\r\n"},
		{"denied SCRIPT LOAD", []string{"eval", "return redis.call('script', 'load', 'return 1')", "0"},
			"-ERR This Redis command is not allowed from script script: a490477d6bc12575fb844107684e6cd178d473fe, on @user_script:1.\r\n"},
		{"EVAL_RO write", []string{"eval_ro", "return redis.call('set', 'a', 1)", "0"},
			"-ERR Write commands are not allowed from read-only scripts. script: 077e58c8635d4a7e55d5d5644be12af800cc5bd7, on @user_script:1.\r\n"},
		{"EVAL_RO read", []string{"eval_ro", "return redis.call('get', 'a')", "0"}, "$-1\r\n"},
		{"no-writes write", []string{"eval", "#!lua flags=no-writes\nreturn redis.call('set', 'a', 1)", "0"},
			"-ERR Write commands are not allowed from read-only scripts. script: 83ae0c2b60e05c926c73a42ae80a33f88ed10796, on @user_script:2.\r\n"},
		{"shebang line counted", []string{"eval", "#!lua\nreturn redis.call('set', KEYS[1], 1)", "0"},
			"-ERR Lua redis lib command arguments must be strings or integers script: 7e28701bc407a2cb8e1a4085190db90e34646243, on @user_script:2.\r\n"},
		{"shebang no flags", []string{"eval", "#!lua\nreturn redis.call('set', 'zz', 1)", "0"}, "+OK\r\n"},
		{"shebang empty flags", []string{"eval", "#!lua flags=\nreturn 1", "0"}, ":1\r\n"},
		{"shebang other flags", []string{"eval", "#!lua flags=allow-stale,no-cluster,allow-cross-slot-keys\nreturn 1", "0"}, ":1\r\n"},
		{"shebang bad flag", []string{"eval", "#!lua flags=bogus\nreturn 1", "0"}, "-ERR Unexpected flag in script shebang: bogus\r\n"},
		{"shebang empty flag", []string{"eval", "#!lua flags=no-writes,,allow-oom\nreturn 1", "0"}, "-ERR Unexpected flag in script shebang: \r\n"},
		{"shebang engine", []string{"eval", "#!luajit\nreturn 1", "0"}, "-ERR Unexpected engine in script shebang: #!luajit\r\n"},
		{"shebang option", []string{"eval", "#!lua name=x\nreturn 1", "0"}, "-ERR Unknown lua shebang option: name=x\r\n"},
		{"shebang unterminated", []string{"eval", "#!lua", "0"}, "-ERR Invalid script shebang\r\n"},
		{"EVAL_RO of a writing shebang", []string{"eval_ro", "#!lua\nreturn 1", "0"},
			"-ERR Can not execute a script with write flag using *_ro command.\r\n"},
		{"EVAL_RO of no-writes", []string{"eval_ro", "#!lua flags=no-writes\nreturn 1", "0"}, ":1\r\n"},
		{"negative numkeys", []string{"eval", "return 1", "-1"}, "-ERR Number of keys can't be negative\r\n"},
		{"too many numkeys", []string{"eval", "return 1", "2", "a"}, "-ERR Number of keys can't be greater than number of args\r\n"},
		{"numkeys not an integer", []string{"eval", "return 1", "x"}, "-ERR value is not an integer or out of range\r\n"},
		{"numkeys before compiling", []string{"eval", "return (", "x"}, "-ERR value is not an integer or out of range\r\n"},
		{"EVAL arity", []string{"eval", "return 1"}, "-ERR wrong number of arguments for 'eval' command\r\n"},
		{"EVALSHA arity", []string{"evalsha"}, "-ERR wrong number of arguments for 'evalsha' command\r\n"},
	})
}

// TestEvalSyntaxError checks compile errors: Redis's prefix and line, in
// gopher-lua's words (see package script).
func TestEvalSyntaxError(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	for _, tc := range []struct{ script, line string }{
		{"return (", "user_script:1: syntax error near '<eof>'"},
		{"local a = 1\nlocal b = 2\nlocal c = = 3", "user_script:3: syntax error near '='"},
		{"x y", "user_script:1: parse error near 'y'"},
	} {
		want := "-ERR Error compiling script (new function): " + tc.line + "\r\n"
		c.expect(want, "eval", tc.script, "0")
		c.expect(want, "script", "load", tc.script)
	}
}

// TestScriptCommands checks SCRIPT and EVALSHA against redis-server 7.0.15.
func TestScriptCommands(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	const sha = "e0e1f9fabfc9d4800c877a703b823ac0578ff8db" // return 1
	runEvalCases(t, c, []evalCase{
		{"EVALSHA unknown", []string{"evalsha", sha, "0"}, "-NOSCRIPT No matching script. Please use EVAL.\r\n"},
		{"EVALSHA short sha", []string{"evalsha", "abc", "notanumber"}, "-NOSCRIPT No matching script. Please use EVAL.\r\n"},
		{"EVALSHA numkeys first", []string{"evalsha", "0123456789012345678901234567890123456789", "notanumber"},
			"-ERR value is not an integer or out of range\r\n"},
		{"SCRIPT LOAD", []string{"script", "load", "return 1"}, "$40\r\n" + sha + "\r\n"},
		{"SCRIPT EXISTS", []string{"script", "exists", sha, "abc"}, "*2\r\n:1\r\n:0\r\n"},
		{"SCRIPT EXISTS upper case", []string{"script", "exists", strings.ToUpper(sha)}, "*1\r\n:1\r\n"},
		{"EVALSHA", []string{"evalsha", sha, "0"}, ":1\r\n"},
		{"EVALSHA upper case", []string{"evalsha", strings.ToUpper(sha), "0"}, ":1\r\n"},
		{"EVALSHA_RO", []string{"evalsha_ro", sha, "0"}, ":1\r\n"},
		{"SCRIPT FLUSH", []string{"script", "flush"}, "+OK\r\n"},
		{"flushed", []string{"evalsha", sha, "0"}, "-NOSCRIPT No matching script. Please use EVAL.\r\n"},
		{"EVAL caches", []string{"eval", "return 1", "0"}, ":1\r\n"},
		{"EVALSHA after EVAL", []string{"evalsha", sha, "0"}, ":1\r\n"},
		{"SCRIPT FLUSH ASYNC", []string{"script", "flush", "async"}, "+OK\r\n"},
		{"SCRIPT FLUSH SYNC", []string{"script", "flush", "sync"}, "+OK\r\n"},
		{"SCRIPT FLUSH bad", []string{"script", "flush", "bogus"}, "-ERR SCRIPT FLUSH only support SYNC|ASYNC option\r\n"},
		{"SCRIPT FLUSH two", []string{"script", "flush", "sync", "async"}, "-ERR SCRIPT FLUSH only support SYNC|ASYNC option\r\n"},
		{"SCRIPT KILL idle", []string{"script", "kill"}, "-NOTBUSY No scripts in execution right now.\r\n"},
		{"SCRIPT KILL arity", []string{"script", "kill", "x"}, "-ERR wrong number of arguments for 'script|kill' command\r\n"},
		{"SCRIPT EXISTS arity", []string{"script", "exists"}, "-ERR wrong number of arguments for 'script|exists' command\r\n"},
		{"SCRIPT LOAD arity", []string{"script", "load", "a", "b"}, "-ERR wrong number of arguments for 'script|load' command\r\n"},
		{"SCRIPT unknown", []string{"script", "bogus"}, "-ERR unknown subcommand 'bogus'. Try SCRIPT HELP.\r\n"},
		{"SCRIPT arity", []string{"script"}, "-ERR wrong number of arguments for 'script' command\r\n"},
		{"SCRIPT DEBUG NO", []string{"script", "debug", "no"}, "+OK\r\n"},
		{"SCRIPT DEBUG bad", []string{"script", "debug", "x"}, "-ERR Use SCRIPT DEBUG YES/SYNC/NO\r\n"},
		{"SCRIPT DEBUG YES", []string{"script", "debug", "yes"}, "-" + msgScriptDebugger + "\r\n"},
		{"SCRIPT HELP", []string{"script", "help"}, "*17\r\n+SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+DEBUG (YES|SYNC|NO)\r\n+    Set the debug mode for subsequent scripts executed.\r\n+EXISTS <sha1> [<sha1> ...]\r\n+    Return information about the existence of the scripts in the script cache.\r\n+FLUSH [ASYNC|SYNC]\r\n+    Flush the Lua scripts cache. Very dangerous on replicas.\r\n+    When called without the optional mode argument, the behavior is determined by the\r\n+    lazyfree-lazy-user-flush configuration directive. Valid modes are:\r\n+    * ASYNC: Asynchronously flush the scripts cache.\r\n+    * SYNC: Synchronously flush the scripts cache.\r\n+KILL\r\n+    Kill the currently executing Lua script.\r\n+LOAD <script>\r\n+    Load a script into the scripts cache without executing it.\r\n+HELP\r\n+    Prints this help.\r\n"},
	})
}

// TestEvalCommandReplies checks how command replies come into Lua and go
// back out, against redis-server 7.0.15.
func TestEvalCommandReplies(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	c.expect(":2\r\n", "hset", "h", "a", "1", "b", "2")
	c.expect(":1\r\n", "sadd", "st", "x")
	c.expect(":1\r\n", "zadd", "z", "1.5", "a")
	runEvalCases(t, c, []evalCase{
		{"null is false", []string{"eval", "return type(redis.call('get','nokey'))", "0"}, "$7\r\nboolean\r\n"},
		{"null back", []string{"eval", "return redis.call('get','nokey')", "0"}, "$-1\r\n"},
		{"status", []string{"eval", "return redis.call('ping')", "0"}, "+PONG\r\n"},
		{"status in array", []string{"eval", "return {redis.call('ping')}", "0"}, "*1\r\n+PONG\r\n"},
		{"TYPE", []string{"eval", "return redis.call('type','h')", "0"}, "+hash\r\n"},
		{"upper-case name", []string{"eval", "return redis.call('GET', 'x')", "0"}, "$-1\r\n"},
		{"float argument", []string{"eval", "redis.call('set', 'k', 3.7) return redis.call('get', 'k')", "0"}, "$18\r\n3.7000000000000002\r\n"},
		{"small float argument", []string{"eval", "redis.call('set', 'k', 0.1) return redis.call('get', 'k')", "0"}, "$19\r\n0.10000000000000001\r\n"},
		{"big float argument", []string{"eval", "redis.call('set', 'k', 1e20) return redis.call('get', 'k')", "0"}, "$5\r\n1e+20\r\n"},
		{"negative zero argument", []string{"eval", "redis.call('set', 'k', -0.0) return redis.call('get', 'k')", "0"}, "$2\r\n-0\r\n"},
		{"inf argument", []string{"eval", "redis.call('set', 'k', 1/0) return redis.call('get', 'k')", "0"}, "$3\r\ninf\r\n"},
		{"RESP2 map is a flat array", []string{"eval", "return redis.call('hgetall','h')", "0"}, "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"},
		{"RESP3 map", []string{"eval", "redis.setresp(3); local r = redis.call('hgetall','h'); return {type(r), type(r.map), r.map.a}", "0"},
			"*3\r\n$5\r\ntable\r\n$5\r\ntable\r\n$1\r\n1\r\n"},
		{"RESP3 map to RESP2", []string{"eval", "redis.setresp(3); return redis.call('hgetall','h')", "0"}, "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"},
		{"RESP3 set", []string{"eval", "redis.setresp(3); local r = redis.call('smembers','st'); return {type(r.set), tostring(r.set.x)}", "0"},
			"*2\r\n$5\r\ntable\r\n$4\r\ntrue\r\n"},
		{"RESP3 set to RESP2", []string{"eval", "redis.setresp(3); return redis.call('smembers','st')", "0"}, "*1\r\n$1\r\nx\r\n"},
		{"RESP3 null is nil", []string{"eval", "redis.setresp(3); return {type(redis.call('get','nokey'))}", "0"}, "*1\r\n$3\r\nnil\r\n"},
		{"RESP3 double", []string{"eval", "redis.setresp(3); local r = redis.call('zscore','z','a'); return {type(r), tostring(r.double)}", "0"},
			"*2\r\n$5\r\ntable\r\n$3\r\n1.5\r\n"},
		{"RESP3 double to RESP2", []string{"eval", "redis.setresp(3); return redis.call('zscore','z','a')", "0"}, "$3\r\n1.5\r\n"},
		{"RESP3 integer", []string{"eval", "redis.setresp(3); return redis.call('exists','z') == 1", "0"}, ":1\r\n"},
		{"status array", []string{"eval", "return redis.call('object', 'help')", "0"},
			"*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+ENCODING <key>\r\n+    Return the kind of internal representation used in order to store the value\r\n+    associated with a <key>.\r\n+FREQ <key>\r\n+    Return the access frequency index of the <key>. The returned integer is\r\n+    proportional to the logarithm of the recent access frequency of the key.\r\n+IDLETIME <key>\r\n+    Return the idle time of the <key>, that is the approximated number of\r\n+    seconds elapsed since the last access to the key.\r\n+REFCOUNT <key>\r\n+    Return the number of references of the value associated with the specified\r\n+    <key>.\r\n+HELP\r\n+    Prints this help.\r\n"},
		{"SELECT inside", []string{"eval", "redis.call('select', '1') redis.call('set', 'indb1', 'v') return redis.call('get', 'indb1')", "0"}, "$1\r\nv\r\n"},
		{"caller's db unchanged", []string{"get", "indb1"}, "$-1\r\n"},
	})
}

// TestEvalRESP3 checks the replies to a RESP3 client, against
// redis-server 7.0.15.
func TestEvalRESP3(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	c.do("hello", "3")
	c.expect(":2\r\n", "hset", "h", "a", "1", "b", "2")
	c.expect(":1\r\n", "sadd", "st", "x")
	runEvalCases(t, c, []evalCase{
		{"map", []string{"eval", "redis.setresp(3); return redis.call('hgetall','h')", "0"}, "%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"},
		{"RESP2 script", []string{"eval", "return redis.call('hgetall','h')", "0"}, "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"},
		{"set", []string{"eval", "redis.setresp(3); return redis.call('smembers','st')", "0"}, "~1\r\n$1\r\nx\r\n"},
		{"double", []string{"eval", "return {double=3.5}", "0"}, ",3.5\r\n"},
		{"double precision", []string{"eval", "return {double=0.1}", "0"}, ",0.10000000000000001\r\n"},
		{"double inf", []string{"eval", "return {double=1/0}", "0"}, ",inf\r\n"},
		{"double not a number", []string{"eval", "return {double='x'}", "0"}, "*0\r\n"},
		{"map table", []string{"eval", "return {map={a=1}}", "0"}, "%1\r\n$1\r\na\r\n:1\r\n"},
		{"empty map wins over err number", []string{"eval", "return {map={}, err=1}", "0"}, "%0\r\n"},
		{"set table", []string{"eval", "return {set={a=true}}", "0"}, "~1\r\n$1\r\na\r\n"},
		{"nested map", []string{"eval", "return {1, {map={b=2}}}", "0"}, "*2\r\n:1\r\n%1\r\n$1\r\nb\r\n:2\r\n"},
		{"true", []string{"eval", "return true", "0"}, ":1\r\n"},
		{"false", []string{"eval", "return false", "0"}, "_\r\n"},
		{"nil", []string{"eval", "return nil", "0"}, "_\r\n"},
		{"setresp 3 false", []string{"eval", "redis.setresp(3); return false", "0"}, "#f\r\n"},
		{"setresp 3 true", []string{"eval", "redis.setresp(3); return true", "0"}, "#t\r\n"},
		{"big number", []string{"eval", "return {big_number='123'}", "0"}, "(123\r\n"},
		{"verbatim", []string{"eval", "redis.setresp(3); return {verbatim_string={format='txt', string='hi'}}", "0"}, "=6\r\ntxt:hi\r\n"},
		{"null from a command", []string{"eval", "return redis.call('get','nokey')", "0"}, "_\r\n"},
	})
	// Map and set members come out in the table's order, which is Lua's
	// hash order in Redis: compare them as unordered.
	got := c.do("eval", "return {map={a=false, b={1}}}", "0")
	if !strings.HasPrefix(got, "%2\r\n") || !strings.Contains(got, "$1\r\na\r\n_\r\n") || !strings.Contains(got, "$1\r\nb\r\n*1\r\n:1\r\n") {
		t.Errorf("map with false and table values: %q", got)
	}
	got = c.do("eval", "return {set={a=false, b=1}}", "0")
	if got != "~2\r\n$1\r\na\r\n$1\r\nb\r\n" && got != "~2\r\n$1\r\nb\r\n$1\r\na\r\n" {
		t.Errorf("set with any values: %q", got)
	}
}

// TestEvalSelfReferencingTable checks that a table containing itself ends
// in an error element rather than a crash, as in Redis.
func TestEvalSelfReferencingTable(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	got := c.do("eval", "local t = {} t[1] = t return t", "0")
	if !strings.HasSuffix(got, "-ERR reached lua stack limit\r\n") || strings.Count(got, "*1\r\n") != script.MaxReplyDepth+1 {
		t.Errorf("got %d bytes ending %q", len(got), got[max(0, len(got)-40):])
	}
	c.expect("+PONG\r\n", "ping")
}

// TestEvalSandboxIsolation checks that nothing one script stores outlives
// it: globals and libraries are read-only, and what table functions write
// raw into a library view is dropped.
func TestEvalSandboxIsolation(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	c.expect(":1\r\n", "eval", "table.insert(string, 'x') return #string", "0")
	c.expect("$-1\r\n", "eval", "return string[1]", "0")
	c.expect("$-1\r\n", "eval", "return rawget(redis, 1)", "0")
	c.expect("$4\r\ncall\r\n", "eval", "for k, v in pairs(redis) do if k == 'call' then return k end end", "0")
	c.expect("$8\r\nfunction\r\n", "eval", "return type(rawget(redis, 'call'))", "0")
	c.expect("$-1\r\n", "eval", "return getmetatable(_G)", "0")
	c.expect("$-1\r\n", "eval", "return getmetatable('') == nil", "0")
	c.expect("$1\r\nX\r\n", "eval", "local mt = getmetatable('') return mt.__index.upper('x')", "0")
	c.expect("$-1\r\n", "eval", "for k in pairs(string) do if k:sub(1, 2) == '__' then return k end end", "0")
	// math.random is seeded per server, math.randomseed makes it repeat.
	c.expect(":1\r\n", "eval", "math.randomseed(7) local a = math.random(1000) math.randomseed(7) return a == math.random(1000)", "0")
	c.expect("-ERR user_script:1: bad argument #1 to 'random' (interval is empty) script: 008bcb60f86ee36d26c67b641b46674578d9cba0, on @user_script:1.\r\n",
		"eval", "return math.random(0)", "0")
}

// TestEvalWritesLikeClients checks that a script's writes reach WATCH,
// keyspace notifications, namespace rules and the disk tier as a client's
// do.
func TestEvalWritesLikeClients(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Dir: dir, Namespaces: []policy.Namespace{
		{Match: "ns:", TTL: 100 * time.Second},
		{Match: "p:", Strategy: policy.WriteThrough},
	}}
	s := startServer(t, cfg)
	c := dial(t, s)
	watcher := dial(t, s)
	watcher.expect("+OK\r\n", "watch", "w")
	watcher.expect("+OK\r\n", "multi")
	watcher.expect("+QUEUED\r\n", "get", "w")
	c.expect("+OK\r\n", "eval", "return redis.call('set', KEYS[1], 'v')", "1", "w")
	watcher.expect("*-1\r\n", "exec")

	sub := dial(t, s)
	c.expect("+OK\r\n", "config", "set", "notify-keyspace-events", "KEA")
	sub.expect("*3\r\n$9\r\nsubscribe\r\n$20\r\n__keyevent@0__:lpush\r\n:1\r\n", "subscribe", "__keyevent@0__:lpush")
	c.expect(":1\r\n", "eval", "return redis.call('lpush', KEYS[1], 'x')", "1", "mylist")
	if got := sub.read(); got != "*3\r\n$7\r\nmessage\r\n$20\r\n__keyevent@0__:lpush\r\n$6\r\nmylist\r\n" {
		t.Errorf("keyspace event: %q", got)
	}

	c.expect("+OK\r\n", "eval", "return redis.call('set', 'ns:a', 'v')", "0")
	if got := c.do("ttl", "ns:a"); got != ":100\r\n" && got != ":99\r\n" {
		t.Errorf("namespace TTL of a script's SET: %q", got)
	}

	c.expect(":1\r\n", "eval", "redis.call('set', 'p:1', 'durable') return redis.call('hset', 'p:h', 'f', 'v')", "0")
	s.Close()
	s = startServer(t, cfg)
	c = dial(t, s)
	c.expect("$7\r\ndurable\r\n", "get", "p:1")
	c.expect("$1\r\nv\r\n", "hget", "p:h", "f")
}

// TestEvalInMulti checks EVAL queued in a transaction, as Redis 7.0.15.
func TestEvalInMulti(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	c.expect("+OK\r\n", "multi")
	c.expect("+QUEUED\r\n", "eval", "return redis.call('set','k','v')", "0")
	c.expect("+QUEUED\r\n", "eval", "return redis.call('incr','k')", "0")
	c.expect("*2\r\n+OK\r\n-ERR value is not an integer or out of range script: 1f71dc1cd0b838440b29a02b9ecb8480e01af28a, on @user_script:1.\r\n", "exec")
}

// TestEvalOOM checks the maxmemory rules of scripts, against
// redis-server 7.0.15 with maxmemory 1: a script's first write is refused,
// a script declaring a write in its shebang is refused up front unless it
// allows OOM, and a read-only one runs.
func TestEvalOOM(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	c.expect("+OK\r\n", "set", "a", "b")
	c.expect("+OK\r\n", "config", "set", "maxmemory", "1")
	runEvalCases(t, c, []evalCase{
		{"first write", []string{"eval", "return redis.call('set','a','b')", "0"},
			"-OOM command not allowed when used memory > 'maxmemory'. script: ff967d0ae0e68b4f9e360fa91c54598bc25ad9b6, on @user_script:1.\r\n"},
		{"read", []string{"eval", "return redis.call('get','a')", "0"}, "$1\r\nb\r\n"},
		{"write after a read", []string{"eval", "redis.call('get','a') return redis.call('set','a','b')", "0"},
			"-OOM command not allowed when used memory > 'maxmemory'. script: 9327279737c0ff593366efe0e0d385289a97fb53, on @user_script:1.\r\n"},
		{"shebang may write", []string{"eval", "#!lua\nreturn 1", "0"}, "-OOM command not allowed when used memory > 'maxmemory'.\r\n"},
		{"shebang no-writes", []string{"eval", "#!lua flags=no-writes\nreturn 1", "0"}, ":1\r\n"},
		{"allow-oom", []string{"eval", "#!lua flags=allow-oom\nreturn redis.call('set','a','b')", "0"}, "+OK\r\n"},
		// Not in Redis's goldens: once a script has written, later writes
		// are not refused, so that it does not stop half-way.
		{"writes after the first", []string{"eval", "redis.call('del','nokey') return redis.call('set','a','c')", "0"}, "+OK\r\n"},
	})
}

// TestEvalTimeLimit checks that a script looping forever is stopped at
// busy-reply-threshold, and that the server then serves others.
func TestEvalTimeLimit(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	c.expect("+OK\r\n", "config", "set", "lua-time-limit", "50")
	const loop = "local i = 0 while true do i = i + 1 end" // sha 3fcf51a9b854b8f66cb8685600b0d7df968f4398
	c.expect("-ERR Script killed after running longer than busy-reply-threshold (lua-time-limit) of 50 milliseconds script: 3fcf51a9b854b8f66cb8685600b0d7df968f4398, on @user_script:1.\r\n",
		"eval", loop, "0")
	// A loop that catches errors is stopped too: the check runs at every
	// instruction, outside the pcall as well.
	got := c.do("eval", "while true do pcall(function() while true do end end) end", "0")
	if !strings.HasPrefix(got, "-ERR Script killed after running longer") {
		t.Errorf("pcall loop: %q", got)
	}
	// A script that wrote is stopped as well; its write stays.
	got = c.do("eval", "redis.call('set', 'w', 1) while true do end", "0")
	if !strings.HasPrefix(got, "-ERR Script killed after running longer") {
		t.Errorf("writing loop: %q", got)
	}
	c.expect("$1\r\n1\r\n", "get", "w")
	// So is a loop in a coroutine.
	got = c.do("eval", "local co = coroutine.wrap(function() while true do end end) co()", "0")
	if !strings.HasPrefix(got, "-ERR Script killed after running longer") {
		t.Errorf("coroutine loop: %q", got)
	}
	c.expect("+PONG\r\n", "ping")
}

// TestScriptKill checks SCRIPT KILL from another connection while a
// script holds the storage lock: a script that has not written is killed
// with Redis's error, one that has written is UNKILLABLE.
func TestScriptKill(t *testing.T) {
	s := startServer(t, Config{})
	admin := dial(t, s)
	admin.expect("+OK\r\n", "config", "set", "busy-reply-threshold", "0") // no time limit
	c := dial(t, s)

	c.send("eval", "local i = 0 while true do i = i + 1 end", "0")
	waitRunning(t, s)
	admin.expect("+OK\r\n", "script", "kill")
	c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if got := c.read(); got != "-ERR Script killed by user with SCRIPT KILL... script: 3fcf51a9b854b8f66cb8685600b0d7df968f4398, on @user_script:1.\r\n" {
		t.Errorf("killed script: %q", got)
	}

	c.send("eval", "redis.call('set','w',1) local i = 0 while true do i = i + 1 end", "0")
	waitRunning(t, s)
	for s.scripts.State() != script.Wrote {
		time.Sleep(time.Millisecond)
	}
	admin.expect("-UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.\r\n",
		"script", "kill")
	// Close stops it, so the test can end.
	s.Close()
}

// waitRunning waits until a script runs on s.
func waitRunning(t *testing.T, s *Server) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for s.scripts.State() == script.Idle {
		if time.Now().After(deadline) {
			t.Fatal("no script started")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestEvalCacheBound checks that EVAL keeps the most recent
// script.MaxEvalScripts scripts and SCRIPT LOAD's stay.
func TestEvalCacheBound(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	loaded := strings.Split(c.do("script", "load", "return 'pinned'"), "\r\n")[1]
	for i := 0; i <= script.MaxEvalScripts; i++ {
		c.do("eval", "return "+strings.Repeat(" ", i)+"1", "0")
	}
	c.expect("*3\r\n:0\r\n:1\r\n:1\r\n", "script", "exists",
		"e0e1f9fabfc9d4800c877a703b823ac0578ff8db", // "return 1", the oldest
		sha1Hex("return "+strings.Repeat(" ", script.MaxEvalScripts)+"1"),
		loaded)
}

// TestEvalGoRedis runs scripts through go-redis: Eval, EvalSha, EvalRO,
// ScriptLoad, ScriptExists, ScriptFlush and Script.Run, which tries
// EVALSHA and falls back to EVAL on NOSCRIPT.
func TestEvalGoRedis(t *testing.T) {
	s := startServer(t, Config{})
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr()})
	defer rdb.Close()
	ctx := context.Background()

	v, err := rdb.Eval(ctx, "return redis.call('set', KEYS[1], ARGV[1])", []string{"k"}, "v").Result()
	if err != nil || v != "OK" {
		t.Fatalf("Eval: %v %v", v, err)
	}
	sha, err := rdb.ScriptLoad(ctx, "return {KEYS[1], ARGV[1], 7}").Result()
	if err != nil {
		t.Fatal(err)
	}
	got, err := rdb.EvalSha(ctx, sha, []string{"a"}, "b").Slice()
	if err != nil || len(got) != 3 || got[0] != "a" || got[1] != "b" || got[2] != int64(7) {
		t.Errorf("EvalSha: %v %v", got, err)
	}
	if got, err := rdb.EvalRO(ctx, "return redis.call('get', KEYS[1])", []string{"k"}).Result(); err != nil || got != "v" {
		t.Errorf("EvalRO: %v %v", got, err)
	}
	if ex, err := rdb.ScriptExists(ctx, sha, "0000000000000000000000000000000000000000").Result(); err != nil || !ex[0] || ex[1] {
		t.Errorf("ScriptExists: %v %v", ex, err)
	}
	if err := rdb.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := rdb.EvalSha(ctx, sha, nil).Result(); err == nil || !strings.HasPrefix(err.Error(), "NOSCRIPT") {
		t.Errorf("EvalSha after flush: %v", err)
	}
	incr := redis.NewScript("return redis.call('incrby', KEYS[1], ARGV[1])")
	for i, want := range []int64{5, 10} {
		if n, err := incr.Run(ctx, rdb, []string{"n"}, 5).Int64(); err != nil || n != want {
			t.Errorf("Script.Run %d: %v %v", i, n, err)
		}
	}
	var rerr redis.Error
	if _, err := rdb.Eval(ctx, "return redis.call('incr', KEYS[1])", []string{"k"}).Result(); !errors.As(err, &rerr) ||
		!strings.HasPrefix(err.Error(), "ERR value is not an integer or out of range script: ") {
		t.Errorf("Eval error: %v", err)
	}
}

// Redis-py's Lock scripts, which django-redis's lock and kombu's
// (Celery's) broker mutex run through EVALSHA, falling back to EVAL.
const (
	lockRelease = `
        local token = redis.call('get', KEYS[1])
        if not token or token ~= ARGV[1] then
            return 0
        end
        redis.call('del', KEYS[1])
        return 1
    `
	lockExtend = `
        local token = redis.call('get', KEYS[1])
        if not token or token ~= ARGV[1] then
            return 0
        end
        local expiration = redis.call('pttl', KEYS[1])
        if not expiration then
            expiration = 0
        end
        if expiration < 0 then
            return 0
        end

        local newttl = ARGV[2]
        if ARGV[3] == "0" then
            newttl = ARGV[2] + expiration
        end
        redis.call('pexpire', KEYS[1], newttl)
        return 1
    `
	lockReacquire = `
        local token = redis.call('get', KEYS[1])
        if not token or token ~= ARGV[1] then
            return 0
        end
        redis.call('pexpire', KEYS[1], ARGV[2])
        return 1
    `
)

// TestEvalRedisPyLock runs redis-py's lock protocol as its clients send
// it: SET NX PX to acquire, the scripts above to extend, reacquire and
// release.
func TestEvalRedisPyLock(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s)
	c.expect("+OK\r\n", "set", "lock", "tok", "nx", "px", "10000")
	c.expect("$-1\r\n", "set", "lock", "other", "nx", "px", "10000")
	release := sha1Hex(lockRelease)
	c.expect("-NOSCRIPT No matching script. Please use EVAL.\r\n", "evalsha", release, "1", "lock", "tok")
	c.expect("$40\r\n"+release+"\r\n", "script", "load", lockRelease)
	extend, reacquire := c.do("script", "load", lockExtend)[5:45], c.do("script", "load", lockReacquire)[5:45]

	c.expect(":0\r\n", "evalsha", extend, "1", "lock", "wrong", "5000", "0")
	c.expect(":1\r\n", "evalsha", extend, "1", "lock", "tok", "5000", "0")
	if got := c.do("pttl", "lock"); got < ":14000\r\n" || len(got) != len(":15000\r\n") {
		t.Errorf("PTTL after extending by 5000: %q", got)
	}
	c.expect(":1\r\n", "evalsha", extend, "1", "lock", "tok", "3000", "1")
	if got := c.do("pttl", "lock"); got > ":3000\r\n" || len(got) != len(":3000\r\n") {
		t.Errorf("PTTL after replacing with 3000: %q", got)
	}
	c.expect(":1\r\n", "evalsha", reacquire, "1", "lock", "tok", "20000")
	c.expect(":0\r\n", "evalsha", release, "1", "lock", "wrong")
	c.expect(":1\r\n", "evalsha", release, "1", "lock", "tok")
	c.expect(":0\r\n", "exists", "lock")
	c.expect(":0\r\n", "evalsha", release, "1", "lock", "tok")
	c.expect(":0\r\n", "evalsha", extend, "1", "lock", "tok", "5000", "0")
}

// BenchmarkEval measures a small script that calls one command, as rate
// limiters and locks do, through one connection.
func BenchmarkEval(b *testing.B) {
	s := startServer(b, Config{})
	c := dial(b, s)
	for b.Loop() {
		c.do("evalsha", sha1Hex(lockRelease), "1", "lock", "tok")
		c.do("eval", lockRelease, "1", "lock", "tok")
	}
}
