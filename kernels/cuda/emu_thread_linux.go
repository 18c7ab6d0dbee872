//go:build cudaemu && !cuda && linux

package cuda

import "syscall"

// osThread is the calling OS thread's id, for the emulator's check that the context is current.
func osThread() int { return syscall.Gettid() }
