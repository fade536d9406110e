//go:build !linux

package storage

import "os"

// dataSyncFile is a segment file; without fdatasync, Sync is fsync.
type dataSyncFile struct{ *os.File }
