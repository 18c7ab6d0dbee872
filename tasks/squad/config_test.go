package squad

import (
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// TestSRUDropouts checks that squad.sru.dropout and squad.sru.rnn_dropout replace
// dropout_rnn for the SRU only, that unset they follow it, and that squad.sru.dropout_top and
// squad.sru.keep_first_input reach the SRU (off by default).
func TestSRUDropouts(t *testing.T) {
	cases := []struct {
		name, text        string
		dropout, rnnDrop  float64
		lstmDrop, embDrop float64
		top, keepFirst    bool
	}{
		{"unset", "dropout_rnn = 0.3\n", 0.3, 0.3, 0.3, 0.5, false, false},
		{"rnn_dropout only", "dropout_rnn = 0.2\n[sru]\nrnn_dropout = 0.0\n", 0.2, 0, 0.2, 0.5, false, false},
		{"both", "dropout_rnn = 0.2\n[sru]\ndropout = 0.1\nrnn_dropout = 0.05\n", 0.1, 0.05, 0.2, 0.5, false, false},
		{"top", "[sru]\ndropout_top = true\n", 0.2, 0.2, 0.2, 0.5, true, false},
		{"between layers", "[sru]\ndropout = 0.0\nkeep_first_input = true\n", 0, 0.2, 0.2, 0.5, false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig()
			if _, err := toml.Decode(c.text, &cfg); err != nil {
				t.Fatal(err)
			}
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			e := cfg.encoderConfig(10, 2)
			if e.SRU.Dropout != c.dropout || e.SRU.RNNDropout != c.rnnDrop {
				t.Errorf("SRU dropout, rnn_dropout = %g, %g; want %g, %g", e.SRU.Dropout, e.SRU.RNNDropout, c.dropout, c.rnnDrop)
			}
			if e.SRU.DropoutTop != c.top || e.SRU.KeepFirstInput != c.keepFirst {
				t.Errorf("SRU dropout_top, keep_first_input = %v, %v; want %v, %v",
					e.SRU.DropoutTop, e.SRU.KeepFirstInput, c.top, c.keepFirst)
			}
			if e.LSTM.Dropout != c.lstmDrop {
				t.Errorf("LSTM dropout = %g, want %g", e.LSTM.Dropout, c.lstmDrop)
			}
			if cfg.DropoutEmb != c.embDrop {
				t.Errorf("dropout_emb = %g, want %g", cfg.DropoutEmb, c.embDrop)
			}
		})
	}
	for _, bad := range []string{"[sru]\ndropout = 1.0\n", "[sru]\nrnn_dropout = -0.1\n"} {
		cfg := DefaultConfig()
		if _, err := toml.Decode(bad, &cfg); err != nil {
			t.Fatal(err)
		}
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "sru.") {
			t.Errorf("%q: Validate() = %v, want an error naming the sru key", bad, err)
		}
	}
}
