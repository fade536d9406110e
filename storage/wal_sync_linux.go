package storage

import (
	"os"
	"syscall"
)

// dataSyncFile is a file whose Sync is fdatasync: the log's segments never
// change size once made, so syncing their data is enough.
type dataSyncFile struct{ *os.File }

// Sync flushes the file's data to the disk.
func (f dataSyncFile) Sync() error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}
