package storage

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/dict"
	"github.com/klauspost/compress/zstd"
)

// Compressed string values are zstd frames, stored so in both tiers
// (FlagCompressed) and decompressed by Lookup for their readers, so that
// every string command sees plain bytes. A frame compressed with a
// dictionary names it by id in its header; dictionaries are trained per
// namespace from its own values (small JSON values compress badly alone)
// and are kept with the data, so that values written with an older one
// stay readable.

// Level is a zstd compression level, from fastest to smallest output.
type Level uint8

// The compression levels (zstd's encoder levels).
const (
	LevelFastest Level = Level(zstd.SpeedFastest)
	LevelDefault Level = Level(zstd.SpeedDefault)
	LevelBetter  Level = Level(zstd.SpeedBetterCompression)
	LevelBest    Level = Level(zstd.SpeedBestCompression)
)

// ErrBadCompressed means a compressed value does not decode (its
// dictionary is unknown, or it is corrupt).
var ErrBadCompressed = errors.New("storage: compressed value does not decode")

// codec holds a Store's zstd encoders and its dictionaries. The zero value
// is ready to use; it is safe for concurrent use.
type codec struct {
	mu    sync.Mutex
	dicts map[uint32][]byte
	dec   atomic.Pointer[zstd.Decoder] // knows every dictionary in dicts
	enc   sync.Map                     // encoderKey -> *zstd.Encoder

	undecodable atomic.Int64
}

type encoderKey struct {
	level Level
	dict  uint32
}

// decoder returns a decoder that knows every registered dictionary.
func (c *codec) decoder() *zstd.Decoder {
	if d := c.dec.Load(); d != nil {
		return d
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if d := c.dec.Load(); d != nil {
		return d
	}
	c.rebuildDecoder()
	return c.dec.Load()
}

// rebuildDecoder makes a decoder for the current dictionaries. The caller
// holds mu.
func (c *codec) rebuildDecoder() {
	var dicts [][]byte
	for _, d := range c.dicts {
		dicts = append(dicts, d)
	}
	// A nil reader: the decoder only serves DecodeAll, which is safe for
	// concurrent use and starts no goroutines.
	d, err := zstd.NewReader(nil, zstd.WithDecoderDicts(dicts...), zstd.WithDecoderMaxMemory(MaxStringBytes))
	if err != nil {
		panic(fmt.Sprintf("storage: zstd decoder: %v", err)) // the dictionaries were checked when added
	}
	c.dec.Store(d)
}

// encoder returns the shared encoder for level and dictionary id (0: none).
func (c *codec) encoder(level Level, id uint32) (*zstd.Encoder, error) {
	k := encoderKey{level, id}
	if e, ok := c.enc.Load(k); ok {
		return e.(*zstd.Encoder), nil
	}
	opts := []zstd.EOption{
		zstd.WithEncoderLevel(zstd.EncoderLevel(level)),
		zstd.WithEncoderCRC(false), // values are small: 4 bytes each count
		zstd.WithZeroFrames(true),
	}
	if id != 0 {
		c.mu.Lock()
		d, ok := c.dicts[id]
		c.mu.Unlock()
		if !ok {
			return nil, fmt.Errorf("storage: no dictionary %d", id)
		}
		opts = append(opts, zstd.WithEncoderDict(d))
	}
	e, err := zstd.NewWriter(nil, opts...)
	if err != nil {
		return nil, err
	}
	actual, _ := c.enc.LoadOrStore(k, e)
	return actual.(*zstd.Encoder), nil
}

// Compress appends plain zstd-compressed at level with dictionary id (0:
// none) to dst and returns the result, or nil when compressing does not
// make plain smaller: such a value is stored raw. DB.Set copies what it
// stores, so callers may compress into a reused buffer. It is safe for
// concurrent use.
func (s *Store) Compress(dst, plain []byte, level Level, id uint32) []byte {
	e, err := s.codec.encoder(level, id)
	if err != nil {
		return nil
	}
	out := e.EncodeAll(plain, dst)
	if len(out)-len(dst) >= len(plain) {
		return nil
	}
	return out
}

// plainValue returns a compressed string value decompressed: a value
// viewing a new buffer, without FlagCompressed, with v's expiry.
func (s *Store) plainValue(v Value) (Value, error) {
	out, err := s.codec.decoder().DecodeAll(v.Bytes(), nil)
	if err != nil {
		return Value{}, fmt.Errorf("%w: %w", ErrBadCompressed, err)
	}
	p := StringValue(out).WithExpireAt(v.exp)
	p.meta = p.meta&^(0xff<<metaLFUShift|metaClockMask) | v.meta&(0xff<<metaLFUShift|metaClockMask)
	return p.WithFlags(v.Flags() &^ FlagCompressed), nil
}

// Plain returns a copy of a string value's bytes, decompressed when it is
// stored compressed: bytes a caller may keep past the lock it read v under.
func (s *Store) Plain(v Value) ([]byte, error) {
	if v.Flags()&FlagCompressed == 0 {
		return append([]byte(nil), v.Bytes()...), nil
	}
	p, err := s.plainValue(v)
	return p.Bytes(), err
}

// AddDict registers a zstd dictionary (as TrainDict makes them) under its
// id, for decoding values compressed with it and for Compress. With a disk
// tier, register through Tier.SaveDict instead, which also persists it.
func (s *Store) AddDict(id uint32, d []byte) error {
	if _, err := zstd.NewReader(nil, zstd.WithDecoderDicts(d)); err != nil {
		return fmt.Errorf("storage: invalid dictionary %d: %w", id, err)
	}
	c := &s.codec
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dicts == nil {
		c.dicts = map[uint32][]byte{}
	}
	c.dicts[id] = d
	c.rebuildDecoder()
	return nil
}

// dictMaxSize bounds a trained dictionary: enough for the repeated
// structure of small JSON values, small enough to stay in caches.
const dictMaxSize = 16 << 10

// ErrTooFewSamples means a dictionary could not be trained from the values
// given: there are too few, or they are too small.
var ErrTooFewSamples = errors.New("storage: too few values to train a dictionary")

// TrainDict trains a zstd dictionary for level from sample values and
// returns it with its id, chosen at random among the ids not in use.
func (s *Store) TrainDict(samples [][]byte, level Level) (uint32, []byte, error) {
	total := 0
	for _, b := range samples {
		total += len(b)
	}
	if len(samples) < 8 || total < 4<<10 {
		return 0, nil, ErrTooFewSamples
	}
	id := s.unusedDictID()
	d, err := dict.BuildZstdDict(samples, dict.Options{
		MaxDictSize: dictMaxSize,
		HashBytes:   6,
		ZstdDictID:  id,
		ZstdLevel:   zstd.EncoderLevel(level),
	})
	if err != nil {
		return 0, nil, fmt.Errorf("%w: %w", ErrTooFewSamples, err)
	}
	return id, d, nil
}

// unusedDictID returns a dictionary id not registered yet, in the range
// zstd leaves to users.
func (s *Store) unusedDictID() uint32 {
	c := &s.codec
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		id := 32768 + rand.Uint32N(1<<31-32768)
		if _, taken := c.dicts[id]; !taken {
			return id
		}
	}
}

// plain decompresses a compressed value for Lookup. A value that does not
// decode (its dictionary lost) is an error, counted (Undecodable).
func (db *DB) plain(v Value) (Value, error) {
	p, err := db.store.plainValue(v)
	if err != nil {
		db.store.codec.undecodable.Add(1)
		return Value{}, err
	}
	return p, nil
}

// Undecodable returns how many reads found a compressed value that did not
// decode.
func (s *Store) Undecodable() int64 { return s.codec.undecodable.Load() }
