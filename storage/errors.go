package storage

import "errors"

// Sentinel errors of the Store, its transactions and the disk tier. The
// server maps them to Redis's reply texts in one place.
var (
	// ErrWrongType means the key holds a value of another kind.
	ErrWrongType = errors.New("storage: wrong kind of value")
	// ErrOutOfMemory means maxmemory is reached and the policy cannot evict.
	ErrOutOfMemory = errors.New("storage: out of memory")
	// ErrNoSuchKey means a key that must exist does not.
	ErrNoSuchKey = errors.New("storage: no such key")
	// ErrDiskFull means the disk tier has no room: write_through writes
	// (and write_back writes once the backlog is full) are refused.
	ErrDiskFull = errors.New("storage: no space left on device for the disk tier")
	// ErrDiskIO means the disk tier failed to write; see the server log.
	ErrDiskIO = errors.New("storage: disk tier write failed")
	// ErrDiskRead means a key could not be read back from the disk tier:
	// the file failed, or the key's entry does not decode. The key may
	// exist, so it is never reported absent; the error wraps the cause.
	ErrDiskRead = errors.New("storage: disk tier read failed")
	// ErrForeignFile means a file in the data directory is not Strata's,
	// or is corrupt: the tier refuses to start rather than overwrite it.
	ErrForeignFile = errors.New("storage: not a Strata data file")
)
