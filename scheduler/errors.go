package scheduler

import "errors"

// Errors of the scheduler and the loader. Configuration errors wrap
// ErrConfig with the job and setting at fault.
var (
	// ErrConfig is an invalid warm-up job.
	ErrConfig = errors.New("scheduler: invalid job")
	// ErrUnknownJob is a RUN, STATUS or CLEAR of a job not configured.
	ErrUnknownJob = errors.New("scheduler: no such job")
	// ErrRunning is a run asked for while the job is running: it is
	// skipped, never run twice at once.
	ErrRunning = errors.New("scheduler: job is already running")
	// ErrNoKeys is a CLEAR of a job whose source names no keys of its own
	// (hot, refresh).
	ErrNoKeys = errors.New("scheduler: job has no keys to clear")
	// ErrStopped is a run asked for after Stop.
	ErrStopped = errors.New("scheduler: stopped")

	// ErrNotFound is an origin's 404.
	ErrNotFound = errors.New("scheduler: origin has no such key")
	// ErrTooLarge is a body over the size bound.
	ErrTooLarge = errors.New("scheduler: value over max_value_size")
	// ErrStatus is a response that is neither 2xx nor 404.
	ErrStatus = errors.New("scheduler: origin failed")
	// ErrMalformed is a bulk body or file line that does not decode.
	ErrMalformed = errors.New("scheduler: malformed entry")
)
