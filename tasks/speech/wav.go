package speech

import (
	"encoding/binary"
	"fmt"
	"os"
)

// Audio is a decoded 16-bit PCM recording.
type Audio struct {
	// Name is where the audio came from (a path or an archive member), for messages.
	Name string
	// SampleRate is in Hz.
	SampleRate int
	// Channels is the number of interleaved channels (1 for mono).
	Channels int
	// Samples holds the sample values, channels interleaved: frame i of channel c is
	// Samples[i*Channels+c].
	Samples []int16
}

// NumFrames is the number of sample frames (samples per channel).
func (a *Audio) NumFrames() int {
	if a.Channels == 0 {
		return 0
	}
	return len(a.Samples) / a.Channels
}

// Duration is the length in seconds.
func (a *Audio) Duration() float64 {
	if a.SampleRate == 0 {
		return 0
	}
	return float64(a.NumFrames()) / float64(a.SampleRate)
}

// Channel returns channel c as float64 sample values, unscaled (Kaldi's convention: the int16
// values themselves, not divided by 32768). For mono audio Channel(0) is the whole signal. Kaldi's
// compute-fbank-feats, given multi-channel audio and no --channel, takes channel 0 (with a
// warning); callers that want that call Channel(0), callers that want mono only check Channels.
func (a *Audio) Channel(c int) []float64 {
	if c < 0 || c >= a.Channels {
		panic(fmt.Sprintf("speech: channel %d of %d-channel audio %s", c, a.Channels, a.Name))
	}
	n := a.NumFrames()
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(a.Samples[i*a.Channels+c])
	}
	return out
}

// ReadWAV reads a RIFF/WAVE file of 16-bit PCM samples (see DecodeWAV).
func ReadWAV(path string) (*Audio, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("speech: %w", err)
	}
	return DecodeWAV(path, data)
}

// WAVE format tags.
const (
	wavFormatPCM        = 0x0001
	wavFormatFloat      = 0x0003
	wavFormatALaw       = 0x0006
	wavFormatMuLaw      = 0x0007
	wavFormatExtensible = 0xFFFE
)

// unknownSize is the size a streaming writer leaves in a RIFF or data header it cannot go back
// to fill in (0 is also seen in the RIFF header).
const unknownSize = 0xFFFFFFFF

// pcmSubformat is the GUID KSDATAFORMAT_SUBTYPE_PCM that a WAVE_FORMAT_EXTENSIBLE fmt chunk
// carries for integer PCM (its first two bytes are the format tag 1).
var pcmSubformat = [16]byte{0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71}

// DecodeWAV decodes the bytes of a RIFF/WAVE file; name is used in error messages. It accepts
// 16-bit integer PCM (format tag 1, or WAVE_FORMAT_EXTENSIBLE with the PCM subformat and 16 valid
// bits) with any number of channels. Chunks may come in any order; chunks other than "fmt " and
// "data" (LIST, fact, cue, ...) are skipped, and an odd-sized chunk is followed by its pad byte
// (a missing pad byte at the very end of the file is tolerated). The RIFF size is not trusted
// beyond the end of the file, and bytes after it are ignored; a streamed file, whose RIFF size is
// 0 or 0xFFFFFFFF and whose data size is 0xFFFFFFFF (or 0 with such a RIFF size), has its data
// run to the end of the file. Everything else is an error naming the file: not RIFF/WAVE (RIFX, RF64), a missing or
// repeated fmt or data chunk, a chunk running past the end of the file, another sample format
// (8, 24 or 32-bit, float, A-law, mu-law, another extensible subformat), an inconsistent block
// alignment, or a data chunk that is not a whole number of sample frames.
func DecodeWAV(name string, data []byte) (*Audio, error) {
	fail := func(format string, args ...any) (*Audio, error) {
		return nil, fmt.Errorf("speech: %s: %s", name, fmt.Sprintf(format, args...))
	}
	if len(data) < 12 {
		return fail("not a WAV file: %d bytes, shorter than a RIFF header", len(data))
	}
	switch id := string(data[0:4]); id {
	case "RIFF":
	case "RIFX", "RF64", "BW64":
		return fail("unsupported WAV container %q (only little-endian RIFF is read)", id)
	default:
		return fail("not a WAV file: starts with %q, not \"RIFF\"", printable(data[0:4]))
	}
	if form := string(data[8:12]); form != "WAVE" {
		return fail("RIFF form %q is not \"WAVE\"", printable(data[8:12]))
	}
	end := len(data)
	riffSize := binary.LittleEndian.Uint32(data[4:8])
	riffUnknown := riffSize == 0 || riffSize == unknownSize
	if riffEnd := 8 + int64(riffSize); !riffUnknown && riffEnd < int64(end) {
		end = int(max(riffEnd, 12))
	}
	var fmtChunk, dataChunk []byte
	haveFmt, haveData := false, false
	for pos := 12; pos < end; {
		if end-pos < 8 {
			return fail("truncated chunk header at byte %d (%d bytes left)", pos, end-pos)
		}
		id := string(data[pos : pos+4])
		size := int64(binary.LittleEndian.Uint32(data[pos+4 : pos+8]))
		body := int64(pos + 8)
		if id == "data" && (size == unknownSize || size == 0 && riffUnknown) {
			size = int64(end) - body // a streamed file: the data runs to the end
		}
		if body+size > int64(end) {
			return fail("chunk %q at byte %d declares %d bytes but only %d remain (truncated file)",
				printable(data[pos:pos+4]), pos, size, int64(end)-body)
		}
		chunk := data[body : body+size]
		switch id {
		case "fmt ":
			if haveFmt {
				return fail("second fmt chunk at byte %d", pos)
			}
			fmtChunk, haveFmt = chunk, true
		case "data":
			if haveData {
				return fail("second data chunk at byte %d", pos)
			}
			dataChunk, haveData = chunk, true
		}
		next := body + size
		if size%2 == 1 && next < int64(end) {
			next++ // the pad byte of an odd-sized chunk
		}
		pos = int(next)
	}
	if !haveFmt {
		return fail("no fmt chunk")
	}
	if !haveData {
		return fail("no data chunk")
	}
	channels, rate, err := parseFmt(fmtChunk)
	if err != nil {
		return fail("%v", err)
	}
	blockAlign := 2 * channels
	if len(dataChunk)%blockAlign != 0 {
		return fail("data chunk of %d bytes is not a whole number of %d-byte sample frames", len(dataChunk), blockAlign)
	}
	samples := make([]int16, len(dataChunk)/2)
	for i := range samples {
		samples[i] = int16(binary.LittleEndian.Uint16(dataChunk[2*i:]))
	}
	return &Audio{Name: name, SampleRate: rate, Channels: channels, Samples: samples}, nil
}

// parseFmt checks a fmt chunk and returns its channel count and sample rate.
func parseFmt(c []byte) (channels, rate int, err error) {
	if len(c) < 16 {
		return 0, 0, fmt.Errorf("fmt chunk of %d bytes, shorter than 16", len(c))
	}
	tag := binary.LittleEndian.Uint16(c[0:2])
	channels = int(binary.LittleEndian.Uint16(c[2:4]))
	rate = int(binary.LittleEndian.Uint32(c[4:8]))
	blockAlign := int(binary.LittleEndian.Uint16(c[12:14]))
	bits := int(binary.LittleEndian.Uint16(c[14:16]))
	switch tag {
	case wavFormatPCM:
	case wavFormatExtensible:
		if len(c) < 40 {
			return 0, 0, fmt.Errorf("WAVE_FORMAT_EXTENSIBLE fmt chunk of %d bytes, shorter than 40", len(c))
		}
		var sub [16]byte
		copy(sub[:], c[24:40])
		if sub != pcmSubformat {
			return 0, 0, fmt.Errorf("unsupported WAVE_FORMAT_EXTENSIBLE subformat %x (only integer PCM is read)", sub)
		}
		if valid := int(binary.LittleEndian.Uint16(c[18:20])); valid != 16 && valid != 0 {
			return 0, 0, fmt.Errorf("unsupported sample format: %d valid bits in %d-bit containers (only 16-bit PCM is read)", valid, bits)
		}
	case wavFormatFloat:
		return 0, 0, fmt.Errorf("unsupported sample format: %d-bit IEEE float (only 16-bit PCM is read)", bits)
	case wavFormatALaw, wavFormatMuLaw:
		return 0, 0, fmt.Errorf("unsupported sample format: G.711 companded (tag %d; only 16-bit PCM is read)", tag)
	default:
		return 0, 0, fmt.Errorf("unsupported WAVE format tag 0x%04x (only 16-bit PCM is read)", tag)
	}
	if bits != 16 {
		return 0, 0, fmt.Errorf("unsupported sample format: %d-bit PCM (only 16-bit PCM is read)", bits)
	}
	if channels == 0 {
		return 0, 0, fmt.Errorf("fmt chunk declares 0 channels")
	}
	if rate == 0 {
		return 0, 0, fmt.Errorf("fmt chunk declares a sample rate of 0 Hz")
	}
	if blockAlign != 2*channels {
		return 0, 0, fmt.Errorf("block align %d does not match %d channels of 16 bits", blockAlign, channels)
	}
	return channels, rate, nil
}

// printable quotes a chunk id with non-printable bytes escaped.
func printable(b []byte) string {
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c >= 0x20 && c < 0x7f {
			out = append(out, c)
		} else {
			out = fmt.Appendf(out, "\\x%02x", c)
		}
	}
	return string(out)
}

// EncodeWAV writes audio as a canonical RIFF/WAVE file of 16-bit PCM: a 16-byte fmt chunk, then
// the data chunk.
func EncodeWAV(a *Audio) []byte {
	if a.Channels <= 0 || len(a.Samples)%a.Channels != 0 {
		panic(fmt.Sprintf("speech: EncodeWAV: %d samples in %d channels", len(a.Samples), a.Channels))
	}
	dataBytes := 2 * len(a.Samples)
	out := make([]byte, 0, 44+dataBytes)
	le := binary.LittleEndian
	out = append(out, "RIFF"...)
	out = le.AppendUint32(out, uint32(36+dataBytes))
	out = append(out, "WAVEfmt "...)
	out = le.AppendUint32(out, 16)
	out = le.AppendUint16(out, wavFormatPCM)
	out = le.AppendUint16(out, uint16(a.Channels))
	out = le.AppendUint32(out, uint32(a.SampleRate))
	out = le.AppendUint32(out, uint32(a.SampleRate*2*a.Channels))
	out = le.AppendUint16(out, uint16(2*a.Channels))
	out = le.AppendUint16(out, 16)
	out = append(out, "data"...)
	out = le.AppendUint32(out, uint32(dataBytes))
	for _, s := range a.Samples {
		out = le.AppendUint16(out, uint16(s))
	}
	return out
}
