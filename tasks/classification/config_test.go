package classification

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// TestConfigTOML: a [classification] table decodes strictly over the defaults (what it omits
// keeps its default, arrays replace), an unknown key is reported, and the defaults encode and
// decode back to themselves.
func TestConfigTOML(t *testing.T) {
	var doc struct {
		C Config `toml:"classification"`
	}
	doc.C = DefaultConfig()
	text := `
[classification]
dataset = "subj"
fold = 4
model = "cnn"
cnn_widths = [2, 3]
embeddings = "/vec/GoogleNews-vectors-negative300.bin"
fix_embeddings = true
[classification.sru]
bidirectional = true
highway_bias = -2.0
[classification.lstm]
bidirectional = true
`
	md, err := toml.Decode(text, &doc)
	if err != nil {
		t.Fatal(err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		t.Fatalf("undecoded keys %v", und)
	}
	c := doc.C
	if c.Dataset != "subj" || c.Fold != 4 || c.Model != "cnn" || !slices.Equal(c.CNNWidths, []int{2, 3}) ||
		!c.FixEmbeddings || !c.SRU.Bidirectional || c.SRU.HighwayBias != -2 || !c.LSTM.Bidirectional {
		t.Fatalf("decoded %+v", c)
	}
	if c.Hidden != 128 || c.BatchSize != 32 || !c.SRU.UseTanh || !c.SRU.V1 || c.SRU.ForgetBias != 2 ||
		c.Readout != "last" || c.CNNMaps != 100 {
		t.Fatalf("defaults lost: %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}

	md, err = toml.Decode("[classification.sru]\nbidirectonal = true\n", &doc)
	if err != nil || len(md.Undecoded()) != 1 || !strings.Contains(md.Undecoded()[0].String(), "bidirectonal") {
		t.Fatalf("misspelt key: %v, undecoded %v", err, md.Undecoded())
	}

	var buf bytes.Buffer
	doc.C = DefaultConfig()
	if err := toml.NewEncoder(&buf).Encode(doc); err != nil {
		t.Fatal(err)
	}
	var back struct {
		C Config `toml:"classification"`
	}
	if md, err := toml.Decode(buf.String(), &back); err != nil || len(md.Undecoded()) > 0 {
		t.Fatalf("%v %v\n%s", err, md.Undecoded(), buf.String())
	}
	if !slices.Equal(back.C.CNNWidths, doc.C.CNNWidths) || back.C.SRU != doc.C.SRU || back.C.Model != doc.C.Model {
		t.Fatalf("round trip: %+v", back.C)
	}
}
