package train

import "math"

// The learning-rate schedules of Config.LRSchedule. The loop keeps the current rate in its
// state (and so in checkpoints) with what the plateau schedule remembers between epochs, so a
// resumed run follows the same rates as an uninterrupted one.

// ScheduleState is what the plateau schedule carries from one epoch to the next (it is saved
// in checkpoints).
type ScheduleState struct {
	// Decaying is set once decay has started; it never clears.
	Decaying bool
	// LastValid is the previous epoch's validation metric (HasLastValid: there was one).
	LastValid    float64
	HasLastValid bool
}

// warmupRsqrt is the factor of the warmup_rsqrt schedule before optimizer step s (from 1):
// min(s/warmup, sqrt(warmup/s)), which rises linearly to 1 at s = warmup and then decays as
// 1/sqrt(s).
func warmupRsqrt(s, warmup int) float64 {
	fs, fw := float64(s), float64(warmup)
	return math.Min(fs/fw, math.Sqrt(fw/fs))
}

// epochEndLR returns the learning rate for the next epoch after epochs epochs are done, lr the
// current one. valid is the validation metric of the epoch just finished (hasValid false
// without a validation split) and higher says which direction is better. It updates st.
func epochEndLR(c Config, lr float64, epochs int, valid float64, hasValid, higher bool, st *ScheduleState) float64 {
	switch c.LRSchedule {
	case "warmup_rsqrt":
		return lr // set per step
	case "plateau":
		if c.LRDecayStart > 0 && epochs >= c.LRDecayStart {
			st.Decaying = true
		}
		if hasValid {
			if st.HasLastValid {
				better := valid > st.LastValid
				if !higher {
					better = valid < st.LastValid
				}
				if !better {
					st.Decaying = true
				}
			}
			st.LastValid, st.HasLastValid = valid, true
		}
		if st.Decaying {
			lr *= c.LRDecay
		}
		return lr
	default: // epoch_decay
		if epochs >= c.LRDecayStart && c.LRDecay != 1 {
			lr *= c.LRDecay
		}
		return lr
	}
}
