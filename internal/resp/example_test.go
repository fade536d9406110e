package resp_test

import (
	"fmt"
	"strings"

	"github.com/stratakv/strata/internal/resp"
)

// A server loop in miniature: read each request, write its reply, and
// send the replies when the reader is about to wait for more input.
func Example() {
	in := strings.NewReader("*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\nPING\r\n")
	rd := resp.NewReader(in, resp.DefaultMaxBulk, func() bool { return true })
	var out resp.Writer
	flush := func() error {
		if out.Len() == 0 {
			return nil
		}
		fmt.Printf("%q\n", out.Bytes())
		out.Reset(64 << 10)
		return nil
	}
	for {
		args, err := rd.Next(flush)
		if err != nil {
			return // io.EOF here; a ProtocolError would be replied to first
		}
		switch strings.ToUpper(string(args[0])) {
		case "ECHO":
			out.Bulk(args[1])
		case "PING":
			out.Simple("PONG")
		}
	}
	// Output:
	// "$2\r\nhi\r\n+PONG\r\n"
}
