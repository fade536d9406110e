package storage

import "errors"

// Sentinel errors returned by DB methods. The server maps them to Redis's
// reply texts in one place.
var (
	// ErrWrongType means the key holds a value of another kind.
	ErrWrongType = errors.New("storage: wrong kind of value")
	// ErrNotInteger means a value or an argument is not a 64-bit integer.
	ErrNotInteger = errors.New("storage: value is not an integer or out of range")
	// ErrNotFloat means a value is not a valid float.
	ErrNotFloat = errors.New("storage: value is not a valid float")
	// ErrOverflow means an increment would overflow a 64-bit integer.
	ErrOverflow = errors.New("storage: increment or decrement would overflow")
	// ErrNaN means a float operation would produce NaN or Infinity.
	ErrNaN = errors.New("storage: increment would produce NaN or Infinity")
	// ErrOutOfMemory means maxmemory is reached and the policy cannot evict.
	ErrOutOfMemory = errors.New("storage: out of memory")
	// ErrTooLarge means a string would exceed the maximum string size.
	ErrTooLarge = errors.New("storage: string exceeds maximum allowed size")
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
