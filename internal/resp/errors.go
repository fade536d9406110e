package resp

import "errors"

// ErrQueryBufferLimit is returned by a Reader whose pending request grew
// past client-query-buffer-limit (1 GB): Redis closes such a connection
// without a reply.
var ErrQueryBufferLimit = errors.New("resp: client reached max query buffer length")

// ErrMalformed is returned by Parse for data that is not the RESP3 it
// accepts.
var ErrMalformed = errors.New("resp: malformed RESP3 data")

// errIncomplete means the buffer holds no complete request yet.
var errIncomplete = errors.New("resp: incomplete request")

// ProtocolError is a malformed request. Its text is what Redis puts after
// "Protocol error: " in its reply, after which it closes the connection.
type ProtocolError string

func (e ProtocolError) Error() string { return "resp: protocol error: " + string(e) }
