package server

// Keyspace notifications (notify-keyspace-events).
// https://redis.io/docs/manual/keyspace-notifications/
//
// A write handler calls c.notify(class, event, key) after a change; when
// the class is enabled the event is published on __keyspace@<db>__:<key>
// (message: the event) and/or __keyevent@<db>__:<event> (message: the
// key). Expired and evicted keys are reported by the storage listener
// below. With notifications off a call costs one atomic load.

import (
	"errors"
	"strconv"

	"github.com/stratakv/strata/storage"
)

// notifyClass is a set of notify-keyspace-events flags.
type notifyClass uint32

// The notify-keyspace-events classes, with Redis's letters.
const (
	notifyKeyspace notifyClass = 1 << iota // K
	notifyKeyevent                         // E
	notifyGeneric                          // g: DEL, EXPIRE, RENAME...
	notifyString                           // $
	notifyList                             // l
	notifySet                              // s
	notifyHash                             // h
	notifyZSet                             // z
	notifyExpired                          // x
	notifyEvicted                          // e
	notifyStream                           // t
	notifyKeyMiss                          // m
	notifyModule                           // d
	notifyNew                              // n

	// notifyAll is what A stands for; it leaves out m and n, as Redis's.
	notifyAll = notifyGeneric | notifyString | notifyList | notifySet | notifyHash | notifyZSet |
		notifyExpired | notifyEvicted | notifyStream | notifyModule
)

// notifyLetters maps each class to its letter, in the order Redis writes
// them back.
var notifyLetters = []struct {
	class  notifyClass
	letter byte
}{
	{notifyGeneric, 'g'}, {notifyString, '$'}, {notifyList, 'l'}, {notifySet, 's'},
	{notifyHash, 'h'}, {notifyZSet, 'z'}, {notifyExpired, 'x'}, {notifyEvicted, 'e'},
	{notifyStream, 't'}, {notifyModule, 'd'}, {notifyNew, 'n'},
	{notifyKeyspace, 'K'}, {notifyKeyevent, 'E'}, {notifyKeyMiss, 'm'},
}

// errNotifyFlags is CONFIG SET's reason for a bad notify-keyspace-events,
// worded as Redis's.
var errNotifyFlags = errors.New("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")

// parseNotifyClasses reads a notify-keyspace-events value.
func parseNotifyClasses(s string) (notifyClass, error) {
	var f notifyClass
	for i := 0; i < len(s); i++ {
		if s[i] == 'A' {
			f |= notifyAll
			continue
		}
		found := false
		for _, l := range notifyLetters {
			if l.letter == s[i] {
				f |= l.class
				found = true
				break
			}
		}
		if !found {
			return 0, errNotifyFlags
		}
	}
	return f, nil
}

// String writes f back as Redis does: A when every class of A is set (the
// other class letters are then left out, n included), then K, E and m.
func (f notifyClass) String() string {
	var b []byte
	if f&notifyAll == notifyAll {
		b = append(b, 'A')
	}
	for _, l := range notifyLetters {
		if f&l.class == 0 {
			continue
		}
		if f&notifyAll == notifyAll && l.class&(notifyKeyspace|notifyKeyevent|notifyKeyMiss) == 0 {
			continue
		}
		b = append(b, l.letter)
	}
	return string(b)
}

// setNotifyKeyspaceEvents applies a notify-keyspace-events value (CONFIG
// SET, start-up). On error nothing changes and the error is the text Redis
// gives after CONFIG SET's prefix.
func (s *Server) setNotifyKeyspaceEvents(v string) error {
	f, err := parseNotifyClasses(v)
	if err != nil {
		return err
	}
	s.pubsub.config.Store(uint32(f))
	if f&(notifyKeyspace|notifyKeyevent) == 0 {
		f = 0 // neither channel kind: nothing is ever published
	}
	s.pubsub.events.Store(uint32(f))
	return nil
}

// notifyKeyspaceEvents returns notify-keyspace-events as CONFIG GET shows
// it.
func (s *Server) notifyKeyspaceEvents() string {
	return notifyClass(s.pubsub.config.Load()).String()
}

// notify publishes a keyspace event of class for key in c's database, from
// a handler that just changed key. It is cheap when the class is off.
func (c *client) notify(class notifyClass, event string, key []byte) {
	if notifyClass(c.srv.pubsub.events.Load())&class == 0 {
		return
	}
	c.srv.pubsub.keyEvent(c, event, c.dbIndex, key, c.srv.store.Now())
}

// keyEvent publishes event for key of database db on the enabled channel
// kinds. from is the client whose command caused it, nil for the server.
func (p *pubsub) keyEvent(from *client, event string, db int, key []byte, now int64) {
	if p.active.Load() == 0 {
		return
	}
	f := notifyClass(p.events.Load())
	var buf [128]byte
	if f&notifyKeyspace != 0 {
		ch := append(append(appendDBPrefix(buf[:0], "__keyspace@", db), "__:"...), key...)
		p.publish(from, kindChannel, ch, []byte(event), now)
	}
	if f&notifyKeyevent != 0 {
		ch := append(append(appendDBPrefix(buf[:0], "__keyevent@", db), "__:"...), event...)
		p.publish(from, kindChannel, ch, key, now)
	}
}

func appendDBPrefix(b []byte, prefix string, db int) []byte {
	return strconv.AppendInt(append(b, prefix...), int64(db), 10)
}

// notifyListener reports keys the storage removes on its own: expired (x)
// and evicted (e).
type notifyListener struct {
	p   *pubsub
	now func() int64
}

// KeyStored is not an event: the command that stored the key reports it.
func (notifyListener) KeyStored(*storage.DB, string, storage.Value) {}

// KeyRemoved publishes expired and evicted events.
func (l notifyListener) KeyRemoved(db *storage.DB, key string, _ storage.Value, why storage.Reason) {
	var class notifyClass
	var event string
	switch why {
	case storage.Expired:
		class, event = notifyExpired, "expired"
	case storage.Evicted:
		class, event = notifyEvicted, "evicted"
	default:
		return
	}
	if notifyClass(l.p.events.Load())&class == 0 {
		return
	}
	l.p.keyEvent(nil, event, db.Index(), []byte(key), l.now())
}
