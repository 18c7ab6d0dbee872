// Package speech is the speech task's audio front end: a WAV reader (RIFF/WAVE, 16-bit PCM) and
// log-mel filterbank features identical to Kaldi's compute-fbank-feats.
//
// The paper's speech task is Switchboard with Kaldi fbank features. Switchboard is licensed, so
// the task here runs on freely licensed substitutes (the Free Spoken Digit Dataset and the Kaldi
// "yesno" corpus); its results are not the paper's Switchboard WER.
//
// Audio: ReadWAV (a path) and DecodeWAV (bytes, e.g. an archive member) return an Audio with
// the interleaved int16 samples of every channel; other sample formats, truncated or malformed
// files are errors naming the file. Audio.Channel(c) gives one channel as float64 values,
// unscaled (Kaldi's convention). Multi-channel files are read, not refused: like
// compute-fbank-feats without --channel, a caller that wants one signal takes Channel(0).
//
// Features: NewFbank(opts) checks the options and precomputes the window and the mel banks;
// Fbank.Compute(samples) returns a Features matrix (frames × bins, row-major) and
// Fbank.ComputeInto reuses one without allocating. FbankOptions has every option of
// compute-fbank-feats with Kaldi's names and defaults (DefaultFbankOptions), except dither,
// which is 0 unless a caller asks for it with its own RNG. Everything is computed in float64;
// the golden test holds the features to torchaudio.compliance.kaldi.fbank in float64 within
// 1e-6.
package speech
