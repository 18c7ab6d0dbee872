package train

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecodeCheckpoint: no input makes the checkpoint reader panic or hang; anything it
// accepts is re-encoded to a file it reads back equal. Each input is tried as a file and, with
// its checksum made right, as a gob body behind the magic, so that the decoder itself is
// reached. Seeds: testdata/fuzz/FuzzDecodeCheckpoint.
func FuzzDecodeCheckpoint(f *testing.F) {
	f.Add([]byte(checkpointMagic))
	f.Add([]byte("hello"))
	ck := &Checkpoint{Experiment: "x", Config: "a = 1\n", Epoch: 1, Step: 3, Cursor: 1, Perm: []int{1, 0},
		Params: []ParamData{{Name: "w", Shape: []int{2}, Bits: 32, Data: make([]byte, 8)}}}
	path := filepath.Join(f.TempDir(), "seed.ckpt")
	if err := WriteCheckpoint(path, ck); err != nil {
		f.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	f.Add(raw)
	f.Add(raw[len(checkpointMagic) : len(raw)-sha256.Size])
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, file := range [][]byte{data, withChecksum(data)} {
			ck, err := DecodeCheckpoint("fuzz.ckpt", file)
			if err != nil {
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("error %v does not wrap ErrCorrupt", err)
				}
				continue
			}
			p := filepath.Join(t.TempDir(), "again.ckpt")
			if err := WriteCheckpoint(p, ck); err != nil {
				t.Fatal(err)
			}
			if _, err := ReadCheckpoint(p); err != nil {
				t.Fatalf("an accepted checkpoint, written again, reads back as %v", err)
			}
		}
	})
}

// withChecksum makes body a checkpoint file as far as the magic and the checksum go.
func withChecksum(body []byte) []byte {
	b := append([]byte(checkpointMagic), body...)
	sum := sha256.Sum256(b)
	return append(b, sum[:]...)
}

// FuzzParseEvents: metrics.jsonl text never panics the reader; an error names file:line; a
// warning only ever concerns the last line.
func FuzzParseEvents(f *testing.F) {
	f.Add([]byte(`{"event":"train","step":1,"train_s":0,"wall_s":0,"time":"2026-01-01T00:00:00Z"}` + "\n"))
	f.Add([]byte("{\"event\":\"eval\",\"split\":\"valid\",\"metrics\":{\"accuracy\":0.5}}\n{\"ev"))
	f.Add([]byte("\n\n{}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		events, warn, err := ParseEvents("m.jsonl", data)
		if err != nil && !bytes.Contains([]byte(err.Error()), []byte("m.jsonl:")) {
			t.Fatalf("error %q names no line", err)
		}
		if warn != "" && (err != nil || bytes.HasSuffix(data, []byte("\n"))) {
			t.Fatalf("warning %q with error %v or a complete last line", warn, err)
		}
		if err == nil && len(events) > bytes.Count(data, []byte("\n"))+1 {
			t.Fatalf("%d events from %d lines", len(events), bytes.Count(data, []byte("\n"))+1)
		}
	})
}
