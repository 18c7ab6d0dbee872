package speech

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// riffChunk is one chunk of a synthesised WAV file.
type riffChunk struct {
	id   string
	body []byte
	// noPad leaves out the pad byte after an odd-sized body.
	noPad bool
	// size overrides the declared size when non-negative.
	size int64
}

func chunk(id string, body []byte) riffChunk { return riffChunk{id: id, body: body, size: -1} }

// buildWAV lays chunks out in a RIFF/WAVE file with a correct RIFF size.
func buildWAV(chunks ...riffChunk) []byte {
	var body []byte
	body = append(body, "WAVE"...)
	for _, c := range chunks {
		body = append(body, c.id...)
		size := int64(len(c.body))
		if c.size >= 0 {
			size = c.size
		}
		body = binary.LittleEndian.AppendUint32(body, uint32(size))
		body = append(body, c.body...)
		if len(c.body)%2 == 1 && !c.noPad {
			body = append(body, 0)
		}
	}
	out := append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...)
	return append(out, body...)
}

// fmtBody is a 16-byte fmt chunk.
func fmtBody(tag, channels uint16, rate uint32, bits uint16) []byte {
	le := binary.LittleEndian
	blockAlign := channels * ((bits + 7) / 8)
	b := le.AppendUint16(nil, tag)
	b = le.AppendUint16(b, channels)
	b = le.AppendUint32(b, rate)
	b = le.AppendUint32(b, rate*uint32(blockAlign))
	b = le.AppendUint16(b, blockAlign)
	return le.AppendUint16(b, bits)
}

// extensibleBody is a 40-byte WAVE_FORMAT_EXTENSIBLE fmt chunk.
func extensibleBody(channels uint16, bits, validBits uint16, subformat [16]byte) []byte {
	le := binary.LittleEndian
	b := fmtBody(wavFormatExtensible, channels, 8000, bits)
	b = le.AppendUint16(b, 22)
	b = le.AppendUint16(b, validBits)
	b = le.AppendUint32(b, 0x4) // channel mask: front centre
	return append(b, subformat[:]...)
}

func pcm16(samples ...int16) []byte {
	var b []byte
	for _, s := range samples {
		b = binary.LittleEndian.AppendUint16(b, uint16(s))
	}
	return b
}

var floatSubformat = [16]byte{0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71}

func TestDecodeWAVAccepts(t *testing.T) {
	mono := fmtBody(wavFormatPCM, 1, 8000, 16)
	data := pcm16(1, -2, 32767, -32768)
	list := []byte("INFOISFT\x05\x00\x00\x00gosr\x00") // odd-sized body
	cases := []struct {
		name     string
		file     []byte
		channels int
		samples  []int16
	}{
		{"canonical", buildWAV(chunk("fmt ", mono), chunk("data", data)), 1, []int16{1, -2, 32767, -32768}},
		{"data before fmt", buildWAV(chunk("data", data), chunk("fmt ", mono)), 1, []int16{1, -2, 32767, -32768}},
		{"unknown chunks skipped", buildWAV(chunk("LIST", list), chunk("fmt ", mono), chunk("fact", pcm16(4, 0)), chunk("data", data), chunk("id3 ", []byte("xyz"))), 1, []int16{1, -2, 32767, -32768}},
		{"odd last chunk without its pad byte", buildWAV(chunk("fmt ", mono), chunk("data", data), riffChunk{id: "junk", body: []byte{1, 2, 3}, noPad: true, size: -1}), 1, []int16{1, -2, 32767, -32768}},
		{"fmt chunk of 18 bytes (cbSize 0)", buildWAV(chunk("fmt ", append(mono, 0, 0)), chunk("data", data)), 1, []int16{1, -2, 32767, -32768}},
		{"stereo", buildWAV(chunk("fmt ", fmtBody(wavFormatPCM, 2, 8000, 16)), chunk("data", data)), 2, []int16{1, -2, 32767, -32768}},
		{"extensible PCM", buildWAV(chunk("fmt ", extensibleBody(1, 16, 16, pcmSubformat)), chunk("data", data)), 1, []int16{1, -2, 32767, -32768}},
		{"empty data", buildWAV(chunk("fmt ", mono), chunk("data", nil)), 1, []int16{}},
	}
	streaming := buildWAV(chunk("fmt ", mono), chunk("data", data))
	binary.LittleEndian.PutUint32(streaming[4:], 0xFFFFFFFF)
	cases = append(cases, struct {
		name     string
		file     []byte
		channels int
		samples  []int16
	}{"RIFF size past the end (streamed)", streaming, 1, []int16{1, -2, 32767, -32768}})
	for _, riffSize := range []uint32{0, unknownSize} {
		for _, dataSize := range []uint32{0, unknownSize} {
			f := buildWAV(chunk("fmt ", mono), chunk("data", data))
			binary.LittleEndian.PutUint32(f[4:], riffSize)
			binary.LittleEndian.PutUint32(f[40:], dataSize)
			cases = append(cases, struct {
				name     string
				file     []byte
				channels int
				samples  []int16
			}{fmt.Sprintf("streamed, RIFF size %#x, data size %#x", riffSize, dataSize), f, 1, []int16{1, -2, 32767, -32768}})
		}
	}
	trailing := append(buildWAV(chunk("fmt ", mono), chunk("data", data)), "junk after the RIFF chunk"...)
	cases = append(cases, struct {
		name     string
		file     []byte
		channels int
		samples  []int16
	}{"bytes after the RIFF size ignored", trailing, 1, []int16{1, -2, 32767, -32768}})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := DecodeWAV("x.wav", c.file)
			if err != nil {
				t.Fatal(err)
			}
			if a.SampleRate != 8000 || a.Channels != c.channels || !slices.Equal(a.Samples, c.samples) {
				t.Fatalf("got %d Hz, %d channels, %v; want 8000 Hz, %d channels, %v", a.SampleRate, a.Channels, a.Samples, c.channels, c.samples)
			}
			if a.NumFrames() != len(c.samples)/c.channels {
				t.Fatalf("NumFrames %d", a.NumFrames())
			}
		})
	}
}

func TestDecodeWAVRefuses(t *testing.T) {
	mono := fmtBody(wavFormatPCM, 1, 8000, 16)
	data := pcm16(1, 2, 3, 4)
	good := buildWAV(chunk("fmt ", mono), chunk("data", data))
	rifx := slices.Clone(good)
	copy(rifx, "RIFX")
	rf64 := slices.Clone(good)
	copy(rf64, "RF64")
	notWave := slices.Clone(good)
	copy(notWave[8:], "AVI ")
	badAlign := fmtBody(wavFormatPCM, 2, 8000, 16)
	binary.LittleEndian.PutUint16(badAlign[12:], 2)
	cases := []struct {
		name, file string
		data       []byte
		want       string
	}{
		{"empty", "a.wav", nil, "shorter than a RIFF header"},
		{"not riff", "b.wav", []byte("OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00"), "not a WAV file"},
		{"rifx", "c.wav", rifx, "unsupported WAV container \"RIFX\""},
		{"rf64", "c2.wav", rf64, "unsupported WAV container \"RF64\""},
		{"not wave", "d.wav", notWave, "RIFF form \"AVI \""},
		{"no fmt", "e.wav", buildWAV(chunk("data", data)), "no fmt chunk"},
		{"no data", "f.wav", buildWAV(chunk("fmt ", mono), chunk("LIST", []byte("INFO"))), "no data chunk"},
		{"no chunks", "g.wav", buildWAV(), "no fmt chunk"},
		{"truncated data", "h.wav", good[:len(good)-3], "truncated"},
		{"truncated chunk header", "i.wav", buildWAV(chunk("fmt ", mono), chunk("data", data))[:36+5], "truncated chunk header"},
		{"chunk size past the end", "j.wav", buildWAV(chunk("fmt ", mono), riffChunk{id: "data", body: data, size: 1 << 20}), "declares 1048576 bytes"},
		{"missing pad byte mid-file", "k.wav", buildWAV(chunk("fmt ", mono), riffChunk{id: "junk", body: []byte{1, 2, 3}, noPad: true, size: -1}, chunk("data", data)), "k.wav"},
		{"8-bit", "l.wav", buildWAV(chunk("fmt ", fmtBody(wavFormatPCM, 1, 8000, 8)), chunk("data", data)), "8-bit PCM"},
		{"24-bit", "m.wav", buildWAV(chunk("fmt ", fmtBody(wavFormatPCM, 1, 8000, 24)), chunk("data", pcm16(1, 2, 3))), "24-bit PCM"},
		{"32-bit", "m2.wav", buildWAV(chunk("fmt ", fmtBody(wavFormatPCM, 1, 8000, 32)), chunk("data", data)), "32-bit PCM"},
		{"float", "n.wav", buildWAV(chunk("fmt ", fmtBody(wavFormatFloat, 1, 8000, 32)), chunk("data", data)), "32-bit IEEE float"},
		{"mu-law", "o.wav", buildWAV(chunk("fmt ", fmtBody(wavFormatMuLaw, 1, 8000, 8)), chunk("data", data)), "G.711"},
		{"adpcm", "p.wav", buildWAV(chunk("fmt ", fmtBody(0x0011, 1, 8000, 4)), chunk("data", data)), "format tag 0x0011"},
		{"extensible float", "q.wav", buildWAV(chunk("fmt ", extensibleBody(1, 32, 32, floatSubformat)), chunk("data", data)), "subformat"},
		{"extensible 20 of 24 bits", "r.wav", buildWAV(chunk("fmt ", extensibleBody(1, 24, 20, pcmSubformat)), chunk("data", data)), "20 valid bits"},
		{"extensible too short", "s.wav", buildWAV(chunk("fmt ", extensibleBody(1, 16, 16, pcmSubformat)[:24]), chunk("data", data)), "shorter than 40"},
		{"short fmt", "t.wav", buildWAV(chunk("fmt ", mono[:14]), chunk("data", data)), "fmt chunk of 14 bytes"},
		{"zero channels", "u.wav", buildWAV(chunk("fmt ", fmtBody(wavFormatPCM, 0, 8000, 16)), chunk("data", data)), "0 channels"},
		{"zero rate", "v.wav", buildWAV(chunk("fmt ", fmtBody(wavFormatPCM, 1, 0, 16)), chunk("data", data)), "sample rate of 0"},
		{"bad block align", "w.wav", buildWAV(chunk("fmt ", badAlign), chunk("data", data)), "block align 2"},
		{"half a sample", "x.wav", buildWAV(chunk("fmt ", mono), chunk("data", []byte{1, 2, 3})), "not a whole number"},
		{"half a stereo frame", "y.wav", buildWAV(chunk("fmt ", fmtBody(wavFormatPCM, 2, 8000, 16)), chunk("data", pcm16(1, 2, 3))), "4-byte sample frames"},
		{"two fmt chunks", "z.wav", buildWAV(chunk("fmt ", mono), chunk("fmt ", mono), chunk("data", data)), "second fmt chunk"},
		{"two data chunks", "z2.wav", buildWAV(chunk("fmt ", mono), chunk("data", data), chunk("data", data)), "second data chunk"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := DecodeWAV(c.file, c.data)
			if err == nil {
				t.Fatalf("accepted: %d Hz, %d channels, %d samples", a.SampleRate, a.Channels, len(a.Samples))
			}
			msg := err.Error()
			if !strings.Contains(msg, c.file) || !strings.Contains(msg, c.want) {
				t.Fatalf("error %q does not name %s and say %q", msg, c.file, c.want)
			}
		})
	}
}

func TestReadWAVRecordings(t *testing.T) {
	want := map[string]struct {
		frames int
		head   []int16
	}{
		"6_yweweler_3.wav": {1148, []int16{-2, -7, -7, -1}},
		"6_nicolas_7.wav":  {1149, []int16{-1024, -256, 768, 1536}},
		"2_theo_34.wav":    {1288, []int16{4, 4, -4, -5}},
	}
	for name, w := range want {
		path := filepath.Join("testdata", name)
		a, err := ReadWAV(path)
		if err != nil {
			t.Fatal(err)
		}
		if a.SampleRate != 8000 || a.Channels != 1 || a.NumFrames() != w.frames || !slices.Equal(a.Samples[:4], w.head) {
			t.Fatalf("%s: %d Hz, %d channels, %d frames, starts %v; want 8000, 1, %d, %v",
				name, a.SampleRate, a.Channels, a.NumFrames(), a.Samples[:4], w.frames, w.head)
		}
		if d := a.Duration(); d != float64(w.frames)/8000 {
			t.Fatalf("%s: duration %g", name, d)
		}
		raw, _ := os.ReadFile(path)
		if !slices.Equal(EncodeWAV(a), raw) {
			t.Fatalf("%s: EncodeWAV does not give the canonical file back", name)
		}
	}
	if _, err := ReadWAV(filepath.Join("testdata", "missing.wav")); err == nil || !strings.Contains(err.Error(), "missing.wav") {
		t.Fatalf("missing file: %v", err)
	}
}

func TestAudioChannel(t *testing.T) {
	a := &Audio{Name: "s.wav", SampleRate: 8000, Channels: 2, Samples: []int16{1, -1, 2, -2, 3, -3}}
	if got := a.Channel(0); !slices.Equal(got, []float64{1, 2, 3}) {
		t.Fatalf("channel 0: %v", got)
	}
	if got := a.Channel(1); !slices.Equal(got, []float64{-1, -2, -3}) {
		t.Fatalf("channel 1: %v", got)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "speech:") {
			t.Fatalf("channel 2 of 2: recovered %v", r)
		}
	}()
	a.Channel(2)
}
