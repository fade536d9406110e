package scheduler

// Fetching from HTTP origins and decoding bulk bodies and files: every
// request is bounded in time and size, and a failure of any kind (a
// transport error, a timeout, a status that is not 2xx, a body too large,
// cut short or malformed) is an error of that key or request, never a
// value.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// StatusError is a response whose status is neither 2xx nor 404. It
// matches ErrStatus with errors.Is.
type StatusError struct{ Code int }

func (e *StatusError) Error() string { return fmt.Sprintf("scheduler: origin replied HTTP %d", e.Code) }

// Is makes a StatusError match ErrStatus.
func (e *StatusError) Is(target error) bool { return target == ErrStatus }

// open GETs url with ctx (which bounds the whole exchange, body included)
// and returns the body of a 2xx response, for the caller to read and
// close. A 404 is ErrNotFound; another status a *StatusError; a declared
// length over max ErrTooLarge.
func open(ctx context.Context, client *http.Client, url string, max int64) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "strata-warmup")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		resp.Body.Close()
		return nil, ErrNotFound
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		resp.Body.Close()
		return nil, &StatusError{Code: resp.StatusCode}
	case resp.ContentLength > max:
		resp.Body.Close()
		return nil, fmt.Errorf("%w: %d bytes declared", ErrTooLarge, resp.ContentLength)
	}
	return resp.Body, nil
}

// fetch GETs url within timeout and returns its body, at most max bytes
// (see open for the errors; a body cut short is the transport's error).
func fetch(ctx context.Context, client *http.Client, url string, timeout time.Duration, max int64) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	body, err := open(ctx, client, url, max)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	b, err := io.ReadAll(io.LimitReader(body, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%w: over %d bytes", ErrTooLarge, max)
	}
	return b, nil
}

// retryable reports whether a failed request may succeed if tried again:
// not a 404, a body too large or malformed, nor another 4xx than 408 or
// 429.
func retryable(err error) bool {
	var st *StatusError
	switch {
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrTooLarge), errors.Is(err, ErrMalformed):
		return false
	case errors.As(err, &st):
		return st.Code >= 500 || st.Code == http.StatusRequestTimeout || st.Code == http.StatusTooManyRequests
	}
	return true
}

// withRetries calls try until it succeeds, fails for good (retryable), or
// has been retried retries times, waiting backoff before the first retry
// and twice as long before each next one. It returns try's last error, or
// ctx's when ctx ends while it waits.
func withRetries(ctx context.Context, retries int, backoff time.Duration, try func() error) error {
	for attempt := 0; ; attempt++ {
		err := try()
		if err == nil || attempt == retries || !retryable(err) {
			return err
		}
		t := time.NewTimer(backoff << min(attempt, 16))
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// An entry is one key of a bulk body or an NDJSON file:
//
//	{"key": "school:list:central:1", "value": "...", "ttl": 300}
//
// value is the value's text when it is a JSON string, else its JSON
// (an object is stored as JSON text); ttl, in seconds, is optional: the
// namespace's rules then give the key its TTL, as for any SET.
type entry struct {
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value"`
	TTL   float64         `json:"ttl"`
}

// bytes returns the value to store.
func (e *entry) bytes() ([]byte, error) {
	if len(e.Value) > 0 && e.Value[0] == '"' {
		var s string
		if err := json.Unmarshal(e.Value, &s); err != nil {
			return nil, err
		}
		return []byte(s), nil
	}
	return e.Value, nil
}

// check reports what is wrong with a decoded entry, nil when nothing.
func (e *entry) check(max int64) error {
	switch {
	case e.Key == "":
		return fmt.Errorf("%w: no key", ErrMalformed)
	case len(e.Value) == 0 || bytes.Equal(e.Value, []byte("null")):
		return fmt.Errorf("%w: key %q has no value", ErrMalformed, e.Key)
	case e.TTL < 0:
		return fmt.Errorf("%w: key %q has a negative ttl", ErrMalformed, e.Key)
	case int64(len(e.Value)) > max:
		return fmt.Errorf("%w: key %q", ErrTooLarge, e.Key)
	}
	return nil
}

// decodeEntries reads entries from r, a JSON array of them or NDJSON (one
// per line; blank lines are skipped), and calls emit with each good one
// and bad with each one that is malformed or over max. An array that
// stops decoding, or a read error, ends it with that error.
func decodeEntries(r io.Reader, max int64, emit func(e *entry), bad func(err error)) error {
	br := bufio.NewReader(r)
	first, err := firstByte(br)
	if err != nil {
		if err == io.EOF {
			return nil // an empty body: no entries
		}
		return err
	}
	if first == '[' {
		dec := json.NewDecoder(br)
		if _, err := dec.Token(); err != nil {
			return fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		for dec.More() {
			var e entry
			if err := dec.Decode(&e); err != nil {
				return fmt.Errorf("%w: %v", ErrMalformed, err)
			}
			if err := e.check(max); err != nil {
				bad(err)
				continue
			}
			emit(&e)
		}
		return nil
	}
	for {
		line, err := readLine(br, max+4096) // room for the key and the JSON around the value
		switch {
		case errors.Is(err, ErrTooLarge):
			bad(err)
			continue
		case err == io.EOF:
			return nil
		case err != nil:
			return err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var e entry
		if err := json.Unmarshal(line, &e); err != nil {
			bad(fmt.Errorf("%w: %v", ErrMalformed, err))
			continue
		}
		if err := e.check(max); err != nil {
			bad(err)
			continue
		}
		emit(&e)
	}
}

// firstByte peeks at the first byte of br that is not white space.
func firstByte(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return b, br.UnreadByte()
	}
}

// readLine returns the next line of br without its end, io.EOF after the
// last; a line over max bytes is skipped and reported as ErrTooLarge.
func readLine(br *bufio.Reader, max int64) ([]byte, error) {
	var line []byte
	tooLong := false
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if int64(len(line)+len(chunk)) > max {
				tooLong, line = true, nil
			} else {
				line = append(line, chunk...)
			}
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && (len(line) > 0 || tooLong):
			// the last line has no newline
		case err != nil:
			return nil, err
		}
		if tooLong {
			return nil, fmt.Errorf("%w: a line over %d bytes", ErrTooLarge, max)
		}
		return bytes.TrimRight(line, "\r\n"), nil
	}
}
