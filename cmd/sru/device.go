package main

import (
	"fmt"

	"github.com/gosru/gosru/kernels"
)

// openCUDA opens the CUDA device for the given precision ("float32" or "float64") and returns
// it as a kernels.Device of that type. It is nil in a binary built without the `cuda` tag; a
// cuda-tagged file of this package sets it.
var openCUDA func(precision string) (any, error)

// openDevice opens the device named by --device.
func openDevice[T kernels.Float](name string) (kernels.Device[T], error) {
	var z T
	precision := fmt.Sprintf("%T", z)
	switch name {
	case "cpu":
		return kernels.NewCPU[T](kernels.CPUOptions{})
	case "cuda":
		if openCUDA == nil {
			return nil, fmt.Errorf("device cuda: this binary was built without CUDA support (rebuild with -tags cuda)")
		}
		d, err := openCUDA(precision)
		if err != nil {
			return nil, fmt.Errorf("device cuda: %w", err)
		}
		dev, ok := d.(kernels.Device[T])
		if !ok {
			return nil, fmt.Errorf("device cuda: no %s device", precision)
		}
		return dev, nil
	}
	return nil, usagef("unknown device %q (want cpu or cuda)", name)
}

// closeDevice closes dev when a command is done with it (folds run one after another, each on
// a device of its own), keeping the command's error, else reporting Close's.
func closeDevice[T kernels.Float](dev kernels.Device[T], err *error) {
	if cerr := dev.Close(); cerr != nil && *err == nil {
		*err = fmt.Errorf("closing the device: %w", cerr)
	}
}
