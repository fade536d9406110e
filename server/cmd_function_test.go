package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFunctionsPersist checks that libraries survive a restart in the
// data dir, that every change is saved, and that a damaged file stops
// the start with an error naming it.
func TestFunctionsPersist(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, Config{Dir: dir})
	c := dial(t, s)
	c.expect("$3\r\nlib\r\n", "function", "load", "#!lua name=lib\nredis.register_function('hello', function(keys, args) return 'hello ' .. args[1] end)")
	c.expect("$4\r\ngone\r\n", "function", "load", "#!lua name=gone\nredis.register_function('gone', function() return 1 end)")
	c.expect("+OK\r\n", "function", "delete", "gone")
	s.Close()

	s = startServer(t, Config{Dir: dir})
	c = dial(t, s)
	c.expect("$9\r\nhello you\r\n", "fcall", "hello", "0", "you")
	c.expect("-ERR Function not found\r\n", "fcall", "gone", "0")
	c.expect("+OK\r\n", "function", "flush")
	s.Close()

	s = startServer(t, Config{Dir: dir})
	dial(t, s).expect("*0\r\n", "function", "list")
	s.Close()

	if err := os.WriteFile(filepath.Join(dir, functionsFile), []byte("not a dump"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{Dir: dir, Port: -1}); err == nil || !strings.Contains(err.Error(), "DUMP payload version or checksum are wrong") {
		t.Errorf("damaged file: %v", err)
	}
}
