package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ParseStepSeconds parses a --step-seconds value, NAME=SECONDS[,NAME=SECONDS...]: for each
// experiment NAME, the seconds a training step took when measured alone (by a benchmark), for
// FigureOptions.StepSeconds. Spaces around names and numbers are allowed; an entry without '=',
// with an empty name, with seconds that are not a positive finite number, or naming an
// experiment twice is an error that quotes it.
func ParseStepSeconds(s string) (map[string]float64, error) {
	m := map[string]float64{}
	for _, entry := range strings.Split(s, ",") {
		name, value, ok := strings.Cut(entry, "=")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || name == "" {
			return nil, fmt.Errorf("report: --step-seconds entry %q: want NAME=SECONDS", entry)
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil || !(v > 0) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("report: --step-seconds entry %q: seconds %q is not a positive finite number", entry, value)
		}
		if _, dup := m[name]; dup {
			return nil, fmt.Errorf("report: --step-seconds entry %q: %s named twice", entry, name)
		}
		m[name] = v
	}
	return m, nil
}
