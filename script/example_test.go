package script_test

import (
	"fmt"
	"strings"

	"github.com/stratakv/strata/internal/resp"
	"github.com/stratakv/strata/script"
)

// mapHost is a Host whose one command, INCR, counts in a map.
type mapHost struct {
	counters map[string]int64
	reply    resp.Writer
}

func (h *mapHost) Lookup(args [][]byte) (script.Command, error) {
	switch {
	case !strings.EqualFold(string(args[0]), "incr"):
		return script.Command{}, script.ErrUnknownCommand
	case len(args) != 2:
		return script.Command{}, script.ErrWrongArity
	}
	return script.Command{Write: true}, nil
}

func (h *mapHost) Call(cmd script.Command, args [][]byte, opts script.CallOptions) []byte {
	h.counters[string(args[1])]++
	h.reply.Reset(1 << 10)
	h.reply.Int(h.counters[string(args[1])])
	return h.reply.Bytes()
}

func Example() {
	e := script.New(script.Options{Version: "7.0.15"})
	s, err := e.Load([]byte("redis.call('incr', KEYS[1]) return redis.call('incr', KEYS[1]) * tonumber(ARGV[1])"), false)
	if err != nil {
		fmt.Println(err)
		return
	}
	var w resp.Writer
	e.Run(&w, &mapHost{counters: map[string]int64{}}, script.Eval{
		Script: s,
		Keys:   [][]byte{[]byte("hits")},
		Argv:   [][]byte{[]byte("10")},
	})
	fmt.Printf("%q\n", w.Bytes())
	// Output:
	// ":20\r\n"
}
