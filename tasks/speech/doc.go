// Package speech is the speech task's audio front end: a WAV reader (RIFF/WAVE, 16-bit PCM) and
// log-mel filterbank features identical to Kaldi's compute-fbank-feats.
//
// The speech task of the paper is Switchboard with Kaldi fbank features; Switchboard is licensed,
// so the task here runs on freely licensed substitutes (the Free Spoken Digit Dataset and the
// Kaldi "yesno" corpus). The features follow Kaldi's definitions exactly, so that any of Kaldi's
// options gives the numbers Kaldi (and torchaudio.compliance.kaldi.fbank in float64) gives; the
// golden test holds them to the reference within 1e-6.
package speech
