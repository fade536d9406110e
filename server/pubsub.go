package server

import (
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/stratakv/strata/internal/resp"
	"github.com/stratakv/strata/policy"
)

// Pub/sub delivery.
//
// The hub maps channel names (and patterns, and shard channels) to their
// subscribers. PUBLISH, keyspace notifications and invalidations encode a
// message once and add it to each subscriber's queue: a large message is
// shared by the queues, not copied into each (see msgQueue); a short-lived
// drain goroutine per subscriber writes the queue to the socket under the
// client's wmu. A publisher therefore never waits on a subscriber's socket:
// a slow subscriber only grows its own queue, and is disconnected past
// Redis's client-output-buffer-limit for pubsub (32mb hard, 8mb for 60s
// soft), as Redis does.
//
// Ordering. A subscriber's own replies (the subscribe confirmations above
// all) must reach it before the messages published after them. A pub/sub
// command therefore moves whatever is queued into the client's reply
// buffer, writes its confirmations there and holds the queue; the
// connection's next flush writes the replies and releases the queue (see
// subscriber.flushed). Messages a client publishes to itself (PUBLISH,
// keyspace events of its own writes) are appended to its reply buffer
// directly, so a RESP3 client sees the push before the command's reply, as
// in Redis.
//
// Lock order: hub.mu, then subscriber.mu; client.wmu, then subscriber.mu.
// Nothing holding subscriber.mu takes another lock.

// subKind is a kind of subscription; each has its own namespace of names
// and its own reply words.
type subKind uint8

const (
	kindChannel subKind = iota // SUBSCRIBE
	kindPattern                // PSUBSCRIBE
	kindShard                  // SSUBSCRIBE
	numKinds
)

// kindWords are the words of a kind's confirmations and messages.
var kindWords = [numKinds]struct{ sub, unsub, message string }{
	kindChannel: {"subscribe", "unsubscribe", "message"},
	kindPattern: {"psubscribe", "punsubscribe", "pmessage"},
	kindShard:   {"ssubscribe", "sunsubscribe", "smessage"},
}

// Redis's default client-output-buffer-limit for pubsub clients.
const (
	pubsubHardLimit   = 32 << 20
	pubsubSoftLimit   = 8 << 20
	pubsubSoftSeconds = 60
	// maxSpareQueue is the largest drained copy buffer kept for reuse.
	maxSpareQueue = 64 << 10
	// shareFrom is the size from which a message is queued by reference
	// rather than copied. 64kb messages published to 50 subscribers that
	// do not read were copied into each queue, up to their 4mb output
	// limit: in the hostile-clients storm about 800mb allocated in 4.5 s
	// (the queues growing by doubling), the garbage collector running
	// without pause and every other client's PING waiting behind it.
	// Smaller messages (invalidations, keyspace events, MONITOR lines) are
	// copied into one buffer, cheaper than a reference each and written in
	// one piece.
	shareFrom = 1 << 10
)

// msgQueue holds the encoded messages waiting for a subscriber's socket,
// in order: references to large frames, which every subscriber's queue
// shares and no one modifies, and copies of small ones gathered in a
// buffer the queue owns. The zero value is empty. It is guarded by its
// subscriber's mu.
type msgQueue struct {
	bufs [][]byte
	// own: the last of bufs is the queue's copy buffer, which small frames
	// are appended to.
	own bool
	// spare is a drained copy buffer, for reuse.
	spare []byte
}

// pushHeader replaces a shared frame's '*' for a RESP3 subscriber.
var pushHeader = []byte{'>'}

// add queues frame (a message encoded with a '*' header, rewritten to '>'
// for resp3). frame is kept, not copied, from shareFrom bytes on: the
// caller must not modify it afterwards.
func (q *msgQueue) add(frame []byte, resp3 bool) {
	if len(frame) < shareFrom {
		if !q.own {
			q.bufs = append(q.bufs, q.spare[:0])
			q.spare, q.own = nil, true
		}
		last := len(q.bufs) - 1
		q.bufs[last] = resp.AppendPushFrame(q.bufs[last], frame, resp3)
		return
	}
	if resp3 && frame[0] == '*' {
		q.bufs = append(q.bufs, pushHeader, frame[1:])
	} else {
		q.bufs = append(q.bufs, frame)
	}
	q.own = false
}

// empty reports whether nothing is queued.
func (q *msgQueue) empty() bool { return len(q.bufs) == 0 }

// take returns what is queued and empties the queue; the caller writes
// it, then hands it back with recycle.
func (q *msgQueue) take() net.Buffers {
	bufs, own := q.bufs, q.own
	q.bufs, q.own = nil, false
	if own { // keep the copy buffer's slot: recycle finds it last
		return bufs
	}
	return append(bufs, nil)
}

// recycle keeps the copy buffer of bufs, as take returned them, for reuse
// when it is small.
func (q *msgQueue) recycle(bufs net.Buffers) {
	if b := bufs[len(bufs)-1]; b != nil && cap(b) <= maxSpareQueue {
		q.spare = b[:0]
	}
}

// drop forgets what is queued (the client is gone).
func (q *msgQueue) drop() { *q = msgQueue{} }

// pubsub is the server's subscription registry and keyspace notification
// settings. The zero value is ready after init.
type pubsub struct {
	mu   sync.RWMutex
	subs [numKinds]map[string]map[*subscriber]struct{}
	// active counts subscriptions of every kind, so that publishing to
	// nobody (keyspace events with no listener) skips the lock.
	active atomic.Int64

	// Output buffer limits in bytes and seconds (client-output-buffer-limit
	// pubsub); 0 disables a limit.
	hardLimit, softLimit, softSeconds atomic.Int64

	// events holds the notify-keyspace-events classes that publish: the
	// configured classes when K or E is set, else 0. config holds what was
	// configured, for CONFIG GET.
	events, config atomic.Uint32
}

func (p *pubsub) init() {
	for k := range p.subs {
		p.subs[k] = map[string]map[*subscriber]struct{}{}
	}
	p.hardLimit.Store(pubsubHardLimit)
	p.softLimit.Store(pubsubSoftLimit)
	p.softSeconds.Store(pubsubSoftSeconds)
}

// subscriber is a client's pub/sub state, made at its first subscription.
type subscriber struct {
	c *client
	// names are the client's subscriptions by kind. Only the client's
	// goroutine changes them, holding hub.mu.
	names [numKinds]map[string]struct{}

	mu       sync.Mutex // guards the fields below
	queue    msgQueue   // encoded messages waiting for the socket
	pending  int64      // bytes queued or being written
	held     bool       // the client's replies must go first: do not drain
	draining bool       // a drain goroutine is running
	closed   bool       // the client is gone or over its limit: drop
	resp3    bool       // the protocol messages are encoded in
	softAt   int64      // unix ms when pending first exceeded the soft limit
}

// subscriber returns c's pub/sub state, making it on first use.
func (c *client) subscriber() *subscriber {
	if c.ps == nil {
		s := &subscriber{c: c, resp3: c.out.RESP3()}
		for k := range s.names {
			s.names[k] = map[string]struct{}{}
		}
		c.ps = s
		c.psShared.Store(s)
	}
	return c.ps
}

// hasSubscriptions reports, from any goroutine, whether c is subscribed
// to anything (Redis's CLIENT_PUBSUB).
func (p *pubsub) hasSubscriptions(c *client) bool {
	s := c.psShared.Load()
	if s == nil {
		return false
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	return len(s.names[kindChannel])+len(s.names[kindPattern])+len(s.names[kindShard]) > 0
}

// count is what a confirmation of kind k reports: the client's channel
// and pattern subscriptions together, or its shard subscriptions.
func (s *subscriber) count(k subKind) int64 {
	if k == kindShard {
		return int64(len(s.names[kindShard]))
	}
	return int64(len(s.names[kindChannel]) + len(s.names[kindPattern]))
}

// subscribed reports whether c has any subscription: a RESP2 client then
// is in subscriber context.
func (c *client) subscribed() bool {
	s := c.ps
	return s != nil && len(s.names[kindChannel])+len(s.names[kindPattern])+len(s.names[kindShard]) > 0
}

// contextRefuses reports, having replied with the error, whether cmd may
// not run in c's context: a RESP2 client in subscriber context may only run
// (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PING, QUIT and RESET.
func (c *client) contextRefuses(cmd *command) bool {
	if c.out.RESP3() || cmd.flags&flagPubSub != 0 || !c.subscribed() {
		return false
	}
	c.reject(cmd, pubsubContextError(cmd.name))
	return true
}

// pubsubPong answers PING in RESP2 subscriber context, where Redis replies
// with a message-like array ["pong", arg or ""]; it reports whether it did.
func (c *client) pubsubPong(args [][]byte) bool {
	if c.out.RESP3() || !c.subscribed() {
		return false
	}
	c.out.Array(2)
	c.out.BulkString("pong")
	if len(args) == 2 {
		c.out.Bulk(args[1])
	} else {
		c.out.BulkString("")
	}
	return true
}

// takeQueue moves the queued messages into c's replies and holds the queue
// until they are flushed: the caller is about to reply, and its replies
// must come after what was published before and before what is published
// after. It runs on c's goroutine.
func (s *subscriber) takeQueue() {
	s.mu.Lock()
	if !s.queue.empty() {
		bufs := s.queue.take()
		for _, b := range bufs {
			s.c.out.Raw(b)
			s.pending -= int64(len(b))
		}
		s.queue.recycle(bufs)
	}
	s.held = true
	s.mu.Unlock()
}

// setProtocol encodes the messages published from now on in RESP3 or
// RESP2. HELLO calls it as it runs, not when its reply is written: a
// client that has read the reply and then publishes must find the new
// protocol in use, as on Redis.
func (s *subscriber) setProtocol(resp3 bool) {
	s.mu.Lock()
	s.resp3 = resp3
	s.mu.Unlock()
}

// flushed runs on the client's goroutine after it wrote its replies,
// holding wmu: the queue may flow again.
func (s *subscriber) flushed() {
	s.mu.Lock()
	s.held = false
	start := s.startDrain()
	s.mu.Unlock()
	if start {
		go s.drain()
	}
}

// startDrain reports whether a drain goroutine must start, and marks one
// running. s.mu is held.
func (s *subscriber) startDrain() bool {
	if s.held || s.draining || s.closed || s.queue.empty() {
		return false
	}
	s.draining = true
	return true
}

// drain writes the queue to the socket until it is empty.
func (s *subscriber) drain() {
	c := s.c
	for {
		c.wmu.Lock()
		s.mu.Lock()
		if s.held || s.closed || s.queue.empty() {
			s.draining = false
			s.mu.Unlock()
			c.wmu.Unlock()
			return
		}
		bufs := s.queue.take()
		s.mu.Unlock()
		// WriteTo consumes its receiver: write a copy of the slice
		// headers, so that bufs still names the copy buffer to recycle.
		out := append(net.Buffers(nil), bufs...)
		n, err := out.WriteTo(c.conn) // writev on TCP
		c.wmu.Unlock()

		s.mu.Lock()
		if err != nil {
			for _, b := range bufs {
				s.pending -= int64(len(b))
			}
			s.closed, s.draining = true, false
			s.queue.drop()
			s.mu.Unlock()
			return
		}
		s.pending -= n
		s.queue.recycle(bufs)
		s.mu.Unlock()
	}
}

// deliver queues frame (a message encoded with a '*' header, rewritten to
// '>' for RESP3) for s. from is the publishing client, nil for the server;
// a client publishing to itself gets the message in its replies. Over the
// output buffer limits the client is disconnected. A large frame is
// queued by reference, for every subscriber it is delivered to: the
// caller must not modify frame afterwards.
func (p *pubsub) deliver(s *subscriber, frame []byte, from *client, now int64) {
	if s.c == from {
		s.takeQueue()
		s.c.out.PushFrame(frame)
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.queue.add(frame, s.resp3)
	s.pending += int64(len(frame))
	over := p.overLimit(s, now)
	if over {
		s.closed = true
		s.queue.drop()
	}
	start := s.startDrain()
	s.mu.Unlock()
	if over {
		s.c.srv.log.Warn("closing client over the pubsub output buffer limit", "addr", s.c.addr, "id", s.c.id)
		s.c.close()
		return
	}
	if start {
		go s.drain()
	}
}

// overLimit applies client-output-buffer-limit to s's pending bytes as
// Redis does: past the hard limit at once, past the soft limit when it has
// stayed past it for the soft seconds. s.mu is held.
func (p *pubsub) overLimit(s *subscriber, now int64) bool {
	if hard := p.hardLimit.Load(); hard > 0 && s.pending >= hard {
		return true
	}
	soft := p.softLimit.Load()
	if soft == 0 || s.pending < soft {
		s.softAt = 0
		return false
	}
	if s.softAt == 0 {
		s.softAt = now
		return false
	}
	return now-s.softAt > p.softSeconds.Load()*1000
}

// queuedBytes returns the bytes of messages queued for c: pub/sub
// messages, MONITOR lines and tracking invalidations all queue there
// (maxmemory-clients counts them). Any goroutine may call it.
func (c *client) queuedBytes() int64 {
	s := c.psShared.Load()
	if s == nil {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pending
}

// subscribe adds c's subscriptions of kind k and confirms each.
func (p *pubsub) subscribe(c *client, k subKind, names [][]byte) {
	s := c.subscriber()
	p.mu.Lock()
	defer p.mu.Unlock()
	s.takeQueue()
	for _, n := range names {
		if _, ok := s.names[k][string(n)]; !ok {
			name := string(n)
			s.names[k][name] = struct{}{}
			set := p.subs[k][name]
			if set == nil {
				set = map[*subscriber]struct{}{}
				p.subs[k][name] = set
			}
			set[s] = struct{}{}
			p.active.Add(1)
		}
		confirm(c, kindWords[k].sub, n, s.count(k))
	}
}

// unsubscribe removes c's subscriptions of kind k named by names, or all
// of them when names is empty, and confirms each; with nothing to remove it
// confirms once with a null name, as Redis does.
func (p *pubsub) unsubscribe(c *client, k subKind, names [][]byte) {
	s := c.subscriber()
	p.mu.Lock()
	defer p.mu.Unlock()
	s.takeQueue()
	if len(names) == 0 {
		all := make([]string, 0, len(s.names[k]))
		for name := range s.names[k] {
			all = append(all, name)
		}
		if len(all) == 0 {
			confirm(c, kindWords[k].unsub, nil, s.count(k))
			return
		}
		slices.Sort(all) // Redis's order is its dict's; a sorted one is as good and stable
		for _, name := range all {
			p.remove(s, k, name)
			confirm(c, kindWords[k].unsub, []byte(name), s.count(k))
		}
		return
	}
	for _, n := range names {
		p.remove(s, k, string(n))
		confirm(c, kindWords[k].unsub, n, s.count(k))
	}
}

// remove drops one subscription of s, if it has it. hub.mu is held.
func (p *pubsub) remove(s *subscriber, k subKind, name string) {
	if _, ok := s.names[k][name]; !ok {
		return
	}
	delete(s.names[k], name)
	set := p.subs[k][name]
	delete(set, s)
	if len(set) == 0 {
		delete(p.subs[k], name)
	}
	p.active.Add(-1)
}

// confirm writes one (un)subscribe confirmation; a nil name is a null.
func confirm(c *client, word string, name []byte, count int64) {
	c.out.Push(3)
	c.out.BulkString(word)
	if name == nil {
		c.out.Null()
	} else {
		c.out.Bulk(name)
	}
	c.out.Int(count)
}

// dropAll removes every subscription of c without confirmations (RESET,
// and a closing connection).
func (p *pubsub) dropAll(c *client) {
	s := c.ps
	if s == nil {
		return
	}
	p.mu.Lock()
	for k := range s.names {
		for name := range s.names[k] {
			p.remove(s, subKind(k), name)
		}
	}
	p.mu.Unlock()
}

// clientClosed forgets a closed client's subscriptions and queue.
func (p *pubsub) clientClosed(c *client) {
	p.dropAll(c)
	if s := c.ps; s != nil {
		s.mu.Lock()
		s.closed = true
		s.queue.drop()
		s.mu.Unlock()
	}
}

// publish sends message on channel to its subscribers of kind k (channel
// or shard; channel messages also go to matching patterns) and returns how
// many received it. from is the publishing client, nil for the server.
func (p *pubsub) publish(from *client, k subKind, channel, message []byte, now int64) int64 {
	if p.active.Load() == 0 {
		return 0
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	n := int64(0)
	if set := p.subs[k][string(channel)]; len(set) > 0 {
		frame := encodeMessage(kindWords[k].message, nil, channel, message)
		for s := range set {
			p.deliver(s, frame, from, now)
			n++
		}
	}
	if k != kindChannel || len(p.subs[kindPattern]) == 0 {
		return n
	}
	ch := string(channel)
	for pattern, set := range p.subs[kindPattern] {
		if !policy.Match(pattern, ch) {
			continue
		}
		frame := encodeMessage(kindWords[kindPattern].message, []byte(pattern), channel, message)
		for s := range set {
			p.deliver(s, frame, from, now)
			n++
		}
	}
	return n
}

// encodeMessage encodes a message as a RESP2 array: [word, pattern,]
// channel, message.
func encodeMessage(word string, pattern, channel, message []byte) []byte {
	n := 3
	size := 40 + len(word) + len(channel) + len(message)
	if pattern != nil {
		n = 4
		size += 16 + len(pattern)
	}
	b := make([]byte, 0, size)
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, "\r\n"...)
	b = appendBulkString(b, word)
	if pattern != nil {
		b = appendBulk(b, pattern)
	}
	b = appendBulk(b, channel)
	return appendBulk(b, message)
}

func appendBulk(b, s []byte) []byte {
	b = append(b, '$')
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, "\r\n"...)
	b = append(b, s...)
	return append(b, "\r\n"...)
}

func appendBulkString(b []byte, s string) []byte {
	b = append(b, '$')
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, "\r\n"...)
	b = append(b, s...)
	return append(b, "\r\n"...)
}

// channels returns the names of kind k with subscribers matching pattern
// (all when pattern is nil).
func (p *pubsub) channels(k subKind, pattern []byte) []string {
	p.mu.RLock()
	defer p.mu.RUnlock()
	var out []string
	for name := range p.subs[k] {
		if pattern == nil || policy.Match(string(pattern), name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// numSub returns the subscribers of kind k to name.
func (p *pubsub) numSub(k subKind, name []byte) int64 {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return int64(len(p.subs[k][string(name)]))
}

// numPat returns the number of distinct patterns subscribed to.
func (p *pubsub) numPat() int64 {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return int64(len(p.subs[kindPattern]))
}
