package speech

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// FuzzDecodeWAV feeds arbitrary bytes to DecodeWAV: it must never panic, every error must name
// the file, and whatever it accepts must survive EncodeWAV and decode to the same audio.
//
//	go test ./tasks/speech -run '^$' -fuzz FuzzDecodeWAV -fuzztime 60s
//
// Seeds: the recordings in testdata/, the synthesised files of the edge-case tests, and
// testdata/fuzz/FuzzDecodeWAV/.
func FuzzDecodeWAV(f *testing.F) {
	recordings, _ := filepath.Glob(filepath.Join("testdata", "*.wav"))
	if len(recordings) == 0 {
		f.Fatal("no testdata/*.wav seeds")
	}
	for _, path := range recordings {
		raw, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	mono := fmtBody(wavFormatPCM, 1, 8000, 16)
	data := pcm16(1, -2, 3, -4)
	for _, seed := range [][]byte{
		buildWAV(chunk("data", data), chunk("fmt ", mono)),
		buildWAV(chunk("LIST", []byte("INFOabc")), chunk("fmt ", mono), chunk("data", data)),
		buildWAV(chunk("fmt ", fmtBody(wavFormatPCM, 2, 16000, 16)), chunk("data", data)),
		buildWAV(chunk("fmt ", extensibleBody(1, 16, 16, pcmSubformat)), chunk("data", data)),
		buildWAV(chunk("fmt ", extensibleBody(1, 32, 32, floatSubformat)), chunk("data", data)),
		buildWAV(chunk("fmt ", fmtBody(wavFormatPCM, 1, 8000, 8)), chunk("data", data)),
		buildWAV(chunk("fmt ", fmtBody(wavFormatFloat, 1, 8000, 32)), chunk("data", data)),
		buildWAV(chunk("fmt ", mono), riffChunk{id: "junk", body: []byte{7}, noPad: true, size: -1}),
		buildWAV(chunk("fmt ", mono), chunk("data", data))[:40],
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		const name = "fuzz.wav"
		a, err := DecodeWAV(name, raw)
		if err != nil {
			if !strings.Contains(err.Error(), name) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if a.Channels < 1 || a.SampleRate < 1 || len(a.Samples)%a.Channels != 0 {
			t.Fatalf("accepted %d channels at %d Hz with %d samples", a.Channels, a.SampleRate, len(a.Samples))
		}
		b, err := DecodeWAV(name, EncodeWAV(a))
		if err != nil {
			t.Fatalf("re-encoded audio refused: %v", err)
		}
		if b.Channels != a.Channels || b.SampleRate != a.SampleRate || !slices.Equal(b.Samples, a.Samples) {
			t.Fatal("re-encoded audio differs")
		}
	})
}
