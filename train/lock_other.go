//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package train

import "os"

// tryLock does nothing where flock is not available: the run directory is not locked there.
func tryLock(*os.File) error { return nil }

const lockSupported = false
