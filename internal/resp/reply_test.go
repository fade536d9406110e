package resp

import (
	"bufio"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

func TestReadReply(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Node
	}{
		{"status", "+OK\r\n", Node{Kind: '+', Str: "OK"}},
		{"error", "-MOVED 1 127.0.0.1:7000\r\n", Node{Kind: KindError, Str: "MOVED 1 127.0.0.1:7000"}},
		{"integer", ":-42\r\n", Node{Kind: ':', Num: -42}},
		{"bulk", "$5\r\na\r\nbc\r\n", Node{Kind: '$', Str: "a\r\nbc"}},
		{"empty bulk", "$0\r\n\r\n", Node{Kind: '$', Str: ""}},
		{"null bulk", "$-1\r\n", Node{Kind: KindNull}},
		{"null array", "*-1\r\n", Node{Kind: KindNull}},
		{"nested", "*2\r\n:1\r\n*1\r\n$1\r\nx\r\n", Node{Kind: '*', Elems: []Node{
			{Kind: ':', Num: 1}, {Kind: '*', Elems: []Node{{Kind: '$', Str: "x"}}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadReply(bufio.NewReader(strings.NewReader(tt.in)))
			if err != nil {
				t.Fatal(err)
			}
			if tt.want.Elems == nil && got.Kind != '*' {
				got.Elems = nil
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestReadReplyErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"no crlf", "+OK\n", ErrMalformed},
		{"unknown type", "!3\r\nabc\r\n", ErrMalformed},
		{"bad integer", ":x\r\n", ErrMalformed},
		{"bad bulk length", "$-2\r\n", ErrMalformed},
		{"bulk without crlf", "$1\r\nab\r\n", ErrMalformed},
		{"short bulk", "$10\r\nab", io.ErrUnexpectedEOF},
		{"short array", "*2\r\n:1\r\n", io.EOF},
		{"too deep", strings.Repeat("*1\r\n", maxDepth+2), ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadReply(bufio.NewReader(strings.NewReader(tt.in)))
			if !errors.Is(err, tt.want) {
				t.Errorf("error %v, want %v", err, tt.want)
			}
		})
	}
}

func TestAppendCommand(t *testing.T) {
	got := string(AppendCommand(nil, []byte("SET"), []byte("k"), []byte("")))
	if want := "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
