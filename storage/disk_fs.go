package storage

import (
	"errors"
	"os"
	"syscall"
)

// syncDir makes the directory entries of dir (files created, renamed or
// removed in it) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// isReadOnlyFS reports whether err means a file cannot be opened for
// writing: a read-only mount, or permissions.
func isReadOnlyFS(err error) bool {
	return errors.Is(err, syscall.EROFS) || errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM)
}

// isNoSpace reports whether err means the disk or a quota is full.
func isNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}
