package storage

import (
	"slices"
	"strings"
	"unsafe"
)

// StreamGroup is a consumer group of a stream: the last ID delivered to
// it, its count of entries read, its consumers and its pending entries
// list (PEL): the entries delivered and not acknowledged yet, each owned
// by one consumer. Like its stream, it is guarded by the key's lock, and a
// command that changes it stores the key again.
type StreamGroup struct {
	s           *Stream
	name        string
	lastID      StreamID
	entriesRead int64 // -1 when unknown
	pel         pendingList
	consumers   []*StreamConsumer // by name
	bytes       int64             // what the consumers and pending entries cost
}

// StreamConsumer is a consumer of a group, with the pending entries it
// owns.
type StreamConsumer struct {
	name     string
	seenTime int64 // unix ms it last read or claimed
	pel      pendingList
}

// PendingEntry is an entry delivered to a consumer and not acknowledged.
type PendingEntry struct {
	ID       StreamID
	consumer *StreamConsumer
	// DeliveryTime is the unix ms of its last delivery.
	DeliveryTime int64
	// DeliveryCount is the number of its deliveries.
	DeliveryCount int64
}

// UnknownEntriesRead is a group's entries-read counter when it cannot be
// known (after XGROUP SETID to an arbitrary ID, or deletions ahead).
const UnknownEntriesRead = -1

var (
	streamGroupSize    = int64(allocSize(int(unsafe.Sizeof(StreamGroup{}))))
	streamConsumerSize = int64(allocSize(int(unsafe.Sizeof(StreamConsumer{}))))
	pendingEntrySize   = int64(allocSize(int(unsafe.Sizeof(PendingEntry{}))))
	pendingSlotSize    = int(unsafe.Sizeof(pendingSlot{}))
)

// Consumer returns the consumer that owns e; nil for an entry XCLAIM FORCE
// has just created, until it is claimed.
func (e *PendingEntry) Consumer() *StreamConsumer { return e.consumer }

// Name returns the consumer's name.
func (c *StreamConsumer) Name() string { return c.name }

// SeenTime returns the unix ms the consumer last read or claimed.
func (c *StreamConsumer) SeenTime() int64 { return c.seenTime }

// Pending returns the number of entries pending for the consumer.
func (c *StreamConsumer) Pending() int { return c.pel.live }

// EachPending calls fn with the consumer's pending entries from ID from
// on, in order, until fn returns false.
func (c *StreamConsumer) EachPending(from StreamID, fn func(e *PendingEntry) bool) {
	c.pel.each(from, fn)
}

func (c *StreamConsumer) cost() int64 {
	return streamConsumerSize + int64(allocSize(len(c.name))) + c.pel.cost()
}

// Group returns the group named name, or nil.
func (s *Stream) Group(name []byte) *StreamGroup {
	if i, ok := s.searchGroup(name); ok {
		return s.groups[i]
	}
	return nil
}

func (s *Stream) searchGroup(name []byte) (int, bool) {
	return slices.BinarySearchFunc(s.groups, unsafeString(name), func(g *StreamGroup, n string) int { return strings.Compare(g.name, n) })
}

// Groups returns the groups, ordered by name. The slice is the stream's:
// it must not be modified.
func (s *Stream) Groups() []*StreamGroup { return s.groups }

// CreateGroup adds a group named name whose last delivered ID is last,
// with an entries-read counter (UnknownEntriesRead when unknown). It
// returns nil when the group exists.
func (s *Stream) CreateGroup(name []byte, last StreamID, entriesRead int64) *StreamGroup {
	i, found := s.searchGroup(name)
	if found {
		return nil
	}
	g := &StreamGroup{s: s, name: string(name), lastID: last, entriesRead: entriesRead}
	s.groups = slices.Insert(s.groups, i, g)
	s.groupBytes += g.cost()
	return g
}

// DestroyGroup removes the group named name and reports whether it
// existed.
func (s *Stream) DestroyGroup(name []byte) bool {
	i, found := s.searchGroup(name)
	if !found {
		return false
	}
	s.groupBytes -= s.groups[i].cost()
	s.groups = slices.Delete(s.groups, i, i+1)
	return true
}

func (g *StreamGroup) cost() int64 {
	return streamGroupSize + int64(allocSize(len(g.name))) + g.pel.cost() +
		int64(allocSize(cap(g.consumers)*8)) + g.bytes
}

// change runs fn, which changes g, and accounts what it changed.
func (g *StreamGroup) change(fn func()) {
	before := g.cost()
	fn()
	g.s.groupBytes += g.cost() - before
}

// Name returns the group's name.
func (g *StreamGroup) Name() string { return g.name }

// LastID returns the last ID delivered to the group.
func (g *StreamGroup) LastID() StreamID { return g.lastID }

// EntriesRead returns the group's entries-read counter, or
// UnknownEntriesRead.
func (g *StreamGroup) EntriesRead() int64 { return g.entriesRead }

// SetLastID sets the last delivered ID and the entries-read counter, as
// XGROUP SETID and XCLAIM LASTID do.
func (g *StreamGroup) SetLastID(id StreamID, entriesRead int64) {
	g.lastID, g.entriesRead = id, entriesRead
}

// Pending returns the number of the group's pending entries.
func (g *StreamGroup) Pending() int { return g.pel.live }

// PendingEntry returns the pending entry id, or nil.
func (g *StreamGroup) PendingEntry(id StreamID) *PendingEntry { return g.pel.get(id) }

// EachPending calls fn with the group's pending entries from ID from on,
// in order, until fn returns false. fn may acknowledge or claim entries.
func (g *StreamGroup) EachPending(from StreamID, fn func(e *PendingEntry) bool) {
	g.pel.each(from, fn)
}

// FirstPending and LastPending return the group's first and last pending
// entries, nil when there are none.
func (g *StreamGroup) FirstPending() *PendingEntry { return g.pel.edge(true) }
func (g *StreamGroup) LastPending() *PendingEntry  { return g.pel.edge(false) }

// Consumers returns the consumers, ordered by name. The slice is the
// group's: it must not be modified.
func (g *StreamGroup) Consumers() []*StreamConsumer { return g.consumers }

func (g *StreamGroup) searchConsumer(name []byte) (int, bool) {
	return slices.BinarySearchFunc(g.consumers, unsafeString(name), func(c *StreamConsumer, n string) int { return strings.Compare(c.name, n) })
}

// Consumer returns the consumer named name, or nil.
func (g *StreamGroup) Consumer(name []byte) *StreamConsumer {
	if i, ok := g.searchConsumer(name); ok {
		return g.consumers[i]
	}
	return nil
}

// CreateConsumer adds a consumer named name, seen at now (unix ms). It
// returns nil when the consumer exists.
func (g *StreamGroup) CreateConsumer(name []byte, now int64) *StreamConsumer {
	i, found := g.searchConsumer(name)
	if found {
		return nil
	}
	c := &StreamConsumer{name: string(name), seenTime: now}
	g.change(func() {
		g.consumers = slices.Insert(g.consumers, i, c)
		g.bytes += c.cost()
	})
	return c
}

// DeleteConsumer removes the consumer named name and its pending entries,
// and returns how many it had; ok is false when there was no consumer.
func (g *StreamGroup) DeleteConsumer(name []byte) (pending int, ok bool) {
	i, found := g.searchConsumer(name)
	if !found {
		return 0, false
	}
	c := g.consumers[i]
	pending = c.pel.live
	g.change(func() {
		c.pel.each(StreamID{}, func(e *PendingEntry) bool {
			g.pel.remove(e.ID)
			g.bytes -= pendingEntrySize
			return true
		})
		g.bytes -= c.cost()
		g.consumers = slices.Delete(g.consumers, i, i+1)
	})
	return pending, true
}

// Ack removes pending entry id and reports whether it was pending.
func (g *StreamGroup) Ack(id StreamID) bool {
	e := g.pel.get(id)
	if e == nil {
		return false
	}
	g.change(func() {
		g.pel.remove(id)
		g.bytes -= pendingEntrySize
		if c := e.consumer; c != nil {
			g.bytes -= c.cost()
			c.pel.remove(id)
			g.bytes += c.cost()
		}
	})
	return true
}

// AddPending adds a pending entry for id, delivered once at now and owned
// by no consumer until Assign gives it one (XCLAIM FORCE). The caller
// checks that id is not pending.
func (g *StreamGroup) AddPending(id StreamID, now int64) *PendingEntry {
	e := &PendingEntry{ID: id, DeliveryTime: now, DeliveryCount: 1}
	g.change(func() {
		g.pel.insert(e)
		g.bytes += pendingEntrySize
	})
	return e
}

// Assign makes c the owner of pending entry e.
func (g *StreamGroup) Assign(e *PendingEntry, c *StreamConsumer) {
	if e.consumer == c {
		return
	}
	g.change(func() {
		if old := e.consumer; old != nil {
			g.bytes -= old.cost()
			old.pel.remove(e.ID)
			g.bytes += old.cost()
		}
		g.bytes -= c.cost()
		c.pel.insert(e)
		g.bytes += c.cost()
		e.consumer = c
	})
}

// Touch records that c read or claimed at now.
func (c *StreamConsumer) Touch(now int64) { c.seenTime = now }

// ReadNew delivers to consumer c the entries after the group's last
// delivered ID, at most count of them (0: all), calling fn with each: the
// group's last ID and entries-read counter follow, and unless noack each
// entry becomes pending for c at now, taken from another consumer that
// had it (after XGROUP SETID back). It returns the number delivered.
func (g *StreamGroup) ReadNew(c *StreamConsumer, count int, noack bool, now int64, fn func(e StreamEntry)) int {
	start, ok := g.lastID.Next()
	if !ok {
		return 0
	}
	n := 0
	g.s.Range(start, MaxStreamID, false, func(e StreamEntry) bool {
		g.advance(e.ID)
		fn(e)
		if !noack {
			g.deliver(e.ID, c, now)
		}
		n++
		return count == 0 || n < count
	})
	return n
}

// advance makes id, read by the group, its last delivered ID, and keeps
// its entries-read counter, as Redis's streamReplyWithRange.
func (g *StreamGroup) advance(id StreamID) {
	if id.Compare(g.lastID) <= 0 {
		return
	}
	s := g.s
	if g.entriesRead != UnknownEntriesRead && !s.tombstonesFrom(id) {
		g.entriesRead++
	} else if s.entriesAdded != 0 {
		g.entriesRead = s.EntriesReadAt(id)
	}
	g.lastID = id
}

// deliver makes entry id pending for c, delivered once at now.
func (g *StreamGroup) deliver(id StreamID, c *StreamConsumer, now int64) {
	if e := g.pel.get(id); e != nil {
		e.DeliveryTime, e.DeliveryCount = now, 1
		g.Assign(e, c)
		return
	}
	e := &PendingEntry{ID: id, consumer: c, DeliveryTime: now, DeliveryCount: 1}
	g.change(func() {
		g.pel.insert(e)
		g.bytes += pendingEntrySize - c.cost()
		c.pel.insert(e)
		g.bytes += c.cost()
	})
}

// Lag returns how many entries the group has yet to read; ok is false
// when that cannot be known (Redis's streamReplyWithCGLag).
func (g *StreamGroup) Lag() (lag int64, ok bool) {
	s := g.s
	switch {
	case s.entriesAdded == 0:
		return 0, true
	case g.entriesRead != UnknownEntriesRead && !s.tombstonesFrom(g.lastID):
		return s.entriesAdded - g.entriesRead, true
	}
	if read := s.EntriesReadAt(g.lastID); read != UnknownEntriesRead {
		return s.entriesAdded - read, true
	}
	return 0, false
}

// tombstonesFrom reports whether a deleted entry may lie at or after id
// (Redis's streamRangeHasTombstones to the end of the stream).
func (s *Stream) tombstonesFrom(id StreamID) bool {
	if s.length == 0 || s.maxDeletedID.IsZero() || s.firstID.Compare(s.maxDeletedID) > 0 {
		return false
	}
	return id.Compare(s.maxDeletedID) <= 0
}

// EntriesReadAt returns how many entries a group that read up to id has
// read, counting from the first entry ever added, or UnknownEntriesRead
// (Redis 7.0's streamEstimateDistanceFromFirstEverEntry).
func (s *Stream) EntriesReadAt(id StreamID) int64 {
	if s.entriesAdded == 0 {
		return 0
	}
	if s.length == 0 && id.Compare(s.lastID) <= 0 {
		return s.entriesAdded
	}
	switch c := id.Compare(s.lastID); {
	case c == 0:
		return s.entriesAdded
	case c > 0:
		return UnknownEntriesRead
	}
	if s.maxDeletedID.IsZero() || s.maxDeletedID.Compare(s.firstID) < 0 {
		switch id.Compare(s.firstID) {
		case -1:
			return s.entriesAdded - int64(s.length)
		case 0:
			return s.entriesAdded - int64(s.length) + 1
		}
	}
	return UnknownEntriesRead
}

// ReadHistory serves a consumer's read of its own pending entries from
// ID start on, at most count of them (0: all): fn gets each pending ID
// and its entry, or ok false for an entry deleted since. Each entry found
// counts as delivered again at now.
func (g *StreamGroup) ReadHistory(c *StreamConsumer, start StreamID, count int, now int64, fn func(id StreamID, e StreamEntry, ok bool)) {
	n := 0
	c.pel.each(start, func(p *PendingEntry) bool {
		e, ok := g.s.Get(p.ID)
		if ok {
			p.DeliveryTime = now
			p.DeliveryCount++
		}
		fn(p.ID, e, ok)
		n++
		return count == 0 || n < count
	})
}

// pendingList is a PEL: pending entries ordered by ID, in a slice that a
// removal leaves a hole in (a nil entry), compacted once holes are most of
// it. Entries are mostly added at the end and acknowledged from the
// front, so both are amortized O(1) after an O(log n) search.
type pendingList struct {
	slots []pendingSlot
	live  int
}

type pendingSlot struct {
	id StreamID
	e  *PendingEntry // nil: removed
}

func (l *pendingList) search(id StreamID) (int, bool) {
	return slices.BinarySearchFunc(l.slots, id, func(s pendingSlot, id StreamID) int { return s.id.Compare(id) })
}

func (l *pendingList) get(id StreamID) *PendingEntry {
	if l.after(id) {
		return nil // a new delivery's ID, past every pending one
	}
	if i, ok := l.search(id); ok {
		return l.slots[i].e
	}
	return nil
}

// after reports whether id is past every slot's ID.
func (l *pendingList) after(id StreamID) bool {
	n := len(l.slots)
	return n == 0 || l.slots[n-1].id.Compare(id) < 0
}

// insert adds e, which the list does not hold.
func (l *pendingList) insert(e *PendingEntry) {
	l.live++
	if l.after(e.ID) {
		l.slots = append(l.slots, pendingSlot{e.ID, e})
		return
	}
	i, found := l.search(e.ID)
	if found {
		l.slots[i].e = e // a hole left by the same ID
		return
	}
	l.slots = slices.Insert(l.slots, i, pendingSlot{e.ID, e})
}

// remove removes entry id, if the list holds it.
func (l *pendingList) remove(id StreamID) {
	i, ok := l.search(id)
	if !ok || l.slots[i].e == nil {
		return
	}
	l.slots[i].e = nil
	l.live--
	if holes := len(l.slots) - l.live; holes > 16 && holes > l.live {
		kept := make([]pendingSlot, 0, l.live)
		for _, s := range l.slots {
			if s.e != nil {
				kept = append(kept, s)
			}
		}
		l.slots = kept
	}
}

// each calls fn with the entries from ID from on until fn returns false.
// fn may remove entries or add others: each step searches anew.
func (l *pendingList) each(from StreamID, fn func(e *PendingEntry) bool) {
	for {
		i, _ := l.search(from)
		for i < len(l.slots) && l.slots[i].e == nil {
			i++
		}
		if i == len(l.slots) {
			return
		}
		e := l.slots[i].e
		if !fn(e) {
			return
		}
		var ok bool
		if from, ok = e.ID.Next(); !ok {
			return
		}
	}
}

// edge returns the first or the last entry, nil when there is none.
func (l *pendingList) edge(first bool) *PendingEntry {
	for k := range l.slots {
		i := k
		if !first {
			i = len(l.slots) - 1 - k
		}
		if e := l.slots[i].e; e != nil {
			return e
		}
	}
	return nil
}

func (l *pendingList) cost() int64 { return int64(allocSize(cap(l.slots) * pendingSlotSize)) }
