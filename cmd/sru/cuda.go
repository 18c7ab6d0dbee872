//go:build cuda || cudaemu

package main

import (
	"fmt"

	"github.com/gosru/gosru/kernels/cuda"
)

// A binary built with -tags cuda opens the GPU for --device cuda and device = "cuda". The device
// locks the goroutine that opens it (the command's) to its OS thread, which then makes every
// call: the commands run their device work on that one goroutine.
func init() {
	openCUDA = func(precision string) (any, error) {
		opts, err := cuda.OptionsFromEnv()
		if err != nil {
			return nil, err
		}
		switch precision {
		case "float32":
			d, err := cuda.Open[float32](opts)
			if err != nil {
				return nil, err
			}
			return d, nil
		case "float64":
			d, err := cuda.Open[float64](opts)
			if err != nil {
				return nil, err
			}
			return d, nil
		}
		return nil, fmt.Errorf("no CUDA device for precision %q", precision)
	}
}
