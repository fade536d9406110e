package server

import (
	"bytes"
	"strings"
	"testing"
)

// TestMsgQueue checks that a queue writes its messages in order, in the
// subscriber's protocol, and shares large frames instead of copying them.
func TestMsgQueue(t *testing.T) {
	small := []byte("*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nm\r\n")
	large := encodeMessage("message", nil, []byte("ch"), bytes.Repeat([]byte("m"), shareFrom))
	tests := []struct {
		name   string
		frames [][]byte
		resp3  bool
	}{
		{"small", [][]byte{small, small}, false},
		{"large", [][]byte{large, large}, false},
		{"mixed", [][]byte{small, large, small, small, large}, false},
		{"mixed RESP3", [][]byte{small, large, small, small, large}, true},
		{"MONITOR line", [][]byte{[]byte("+1 [0 127.0.0.1:1] \"PING\"\r\n"), large}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var q msgQueue
			var want []byte
			for _, f := range tt.frames {
				q.add(f, tt.resp3)
				n := len(want)
				want = append(want, f...)
				if tt.resp3 && f[0] == '*' {
					want[n] = '>'
				}
			}
			for round := 0; round < 2; round++ { // the second reuses the copy buffer
				bufs := q.take()
				if !q.empty() {
					t.Fatal("queue not empty after take")
				}
				shared := 0
				for _, b := range bufs {
					if len(b) > 0 && &b[len(b)-1] == &large[len(large)-1] {
						shared++
					}
				}
				if wantShared := strings.Count(string(bytes.Join(tt.frames, nil)), string(large)); shared != wantShared {
					t.Errorf("round %d: %d large frames shared, want %d", round, shared, wantShared)
				}
				if got := bytes.Join(bufs, nil); !bytes.Equal(got, want) {
					t.Errorf("round %d: wrote %q, want %q", round, got, want)
				}
				q.recycle(bufs)
				for _, f := range tt.frames {
					q.add(f, tt.resp3)
				}
			}
		})
	}
}
