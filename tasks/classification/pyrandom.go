package classification

// pyRandom reproduces CPython's `random` module (MT19937, seeded by random.seed(int)) as far as
// random.shuffle needs it, so that the folds and validation sets are the ones the official
// dataloader.py draws with random.seed(1234).
type pyRandom struct {
	mt  [mtN]uint32
	idx int
}

const (
	mtN          = 624
	mtM          = 397
	officialSeed = 1234
)

// newPyRandom is random.seed(seed) for a non-negative seed below 2³²: init_by_array with the
// seed as its one 32-bit key word.
func newPyRandom(seed uint32) *pyRandom {
	r := &pyRandom{}
	r.initGenrand(19650218)
	key := [1]uint32{seed}
	i, j := 1, 0
	for k := max(mtN, len(key)); k > 0; k-- {
		r.mt[i] = (r.mt[i] ^ ((r.mt[i-1] ^ (r.mt[i-1] >> 30)) * 1664525)) + key[j] + uint32(j)
		i++
		j++
		if i >= mtN {
			r.mt[0] = r.mt[mtN-1]
			i = 1
		}
		if j >= len(key) {
			j = 0
		}
	}
	for k := mtN - 1; k > 0; k-- {
		r.mt[i] = (r.mt[i] ^ ((r.mt[i-1] ^ (r.mt[i-1] >> 30)) * 1566083941)) - uint32(i)
		i++
		if i >= mtN {
			r.mt[0] = r.mt[mtN-1]
			i = 1
		}
	}
	r.mt[0] = 0x80000000
	r.idx = mtN
	return r
}

func (r *pyRandom) initGenrand(s uint32) {
	r.mt[0] = s
	for i := 1; i < mtN; i++ {
		r.mt[i] = 1812433253*(r.mt[i-1]^(r.mt[i-1]>>30)) + uint32(i)
	}
	r.idx = mtN
}

func (r *pyRandom) uint32() uint32 {
	if r.idx >= mtN {
		for i := 0; i < mtN; i++ {
			y := r.mt[i]&0x80000000 | r.mt[(i+1)%mtN]&0x7fffffff
			v := r.mt[(i+mtM)%mtN] ^ y>>1
			if y&1 != 0 {
				v ^= 0x9908b0df
			}
			r.mt[i] = v
		}
		r.idx = 0
	}
	y := r.mt[r.idx]
	r.idx++
	y ^= y >> 11
	y ^= y << 7 & 0x9d2c5680
	y ^= y << 15 & 0xefc60000
	y ^= y >> 18
	return y
}

// below is Random._randbelow(n) for 1 < n < 2³²: rejection sampling of bit_length(n) bits.
func (r *pyRandom) below(n int) int {
	k := 0
	for v := n; v > 0; v >>= 1 {
		k++
	}
	for {
		if v := int(r.uint32() >> (32 - k)); v < n {
			return v
		}
	}
}

// perm is `p = list(range(n)); random.shuffle(p)` (Python 3's Fisher-Yates from the end).
func (r *pyRandom) perm(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := r.below(i + 1)
		p[i], p[j] = p[j], p[i]
	}
	return p
}
