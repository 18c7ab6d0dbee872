//go:build cudaemu && !cuda && !linux

package cuda

// osThread is unknown here: the emulator does not check which thread uses the device.
func osThread() int { return -1 }
