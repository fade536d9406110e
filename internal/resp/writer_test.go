package resp

import (
	"math"
	"testing"
)

// TestWriter checks each reply type in both protocols against the bytes
// redis-server 7.0 sends.
func TestWriter(t *testing.T) {
	tests := []struct {
		name         string
		write        func(w *Writer)
		resp2, resp3 string
	}{
		{"simple", func(w *Writer) { w.Simple("PONG") }, "+PONG\r\n", "+PONG\r\n"},
		{"error", func(w *Writer) { w.Error("ERR bad") }, "-ERR bad\r\n", "-ERR bad\r\n"},
		{"int", func(w *Writer) { w.Int(-7) }, ":-7\r\n", ":-7\r\n"},
		{"bulk", func(w *Writer) { w.Bulk([]byte("a\r\nb")) }, "$4\r\na\r\nb\r\n", "$4\r\na\r\nb\r\n"},
		{"null", func(w *Writer) { w.Null() }, "$-1\r\n", "_\r\n"},
		{"null array", func(w *Writer) { w.NullArray() }, "*-1\r\n", "_\r\n"},
		{"map", func(w *Writer) { w.Map(1); w.BulkString("k"); w.Int(1) }, "*2\r\n$1\r\nk\r\n:1\r\n", "%1\r\n$1\r\nk\r\n:1\r\n"},
		{"set", func(w *Writer) { w.Set(0) }, "*0\r\n", "~0\r\n"},
		{"push", func(w *Writer) { w.Push(1); w.BulkString("m") }, "*1\r\n$1\r\nm\r\n", ">1\r\n$1\r\nm\r\n"},
		{"push frame", func(w *Writer) { w.PushFrame([]byte("*1\r\n$1\r\nm\r\n")) }, "*1\r\n$1\r\nm\r\n", ">1\r\n$1\r\nm\r\n"},
		{"double", func(w *Writer) { w.Double(1.5) }, "$3\r\n1.5\r\n", ",1.5\r\n"},
		{"double inf", func(w *Writer) { w.Double(math.Inf(-1)) }, "$4\r\n-inf\r\n", ",-inf\r\n"},
		{"bool", func(w *Writer) { w.Bool(true); w.Bool(false) }, ":1\r\n:0\r\n", "#t\r\n#f\r\n"},
		{"big number", func(w *Writer) { w.BigNumber("12345678901234567890") }, "$20\r\n12345678901234567890\r\n", "(12345678901234567890\r\n"},
		{"verbatim", func(w *Writer) { w.Verbatim("txt", "hi") }, "$2\r\nhi\r\n", "=6\r\ntxt:hi\r\n"},
		{"verbatim short format", func(w *Writer) { w.Verbatim("m", "hi") }, "$2\r\nhi\r\n", "=6\r\nm  :hi\r\n"},
		{"help", func(w *Writer) { w.Help([]string{"A", "B"}) }, "*2\r\n+A\r\n+B\r\n", "*2\r\n+A\r\n+B\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, resp3 := range []bool{false, true} {
				var w Writer
				w.SetRESP3(resp3)
				tt.write(&w)
				want := tt.resp2
				if resp3 {
					want = tt.resp3
				}
				if got := string(w.Bytes()); got != want {
					t.Errorf("RESP3 %v: %q, want %q", resp3, got, want)
				}
			}
		})
	}
}

// TestWriterReset checks that Reset keeps a small buffer and lets a big
// one go.
func TestWriterReset(t *testing.T) {
	var w Writer
	w.BulkString("0123456789")
	w.Truncate(3)
	if got := string(w.Bytes()); got != "$10" {
		t.Fatalf("after Truncate: %q", got)
	}
	w.Reset(1 << 10)
	if w.Len() != 0 || cap(w.b) == 0 {
		t.Fatalf("Reset under the limit: len %d cap %d, want 0 and the buffer kept", w.Len(), cap(w.b))
	}
	w.Raw(make([]byte, 2<<10))
	w.Reset(1 << 10)
	if cap(w.b) != 0 {
		t.Fatalf("Reset over the limit kept %d bytes", cap(w.b))
	}
}
