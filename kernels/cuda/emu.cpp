//go:build cudaemu && !cuda

// The CUDA emulator's runtime: the kernels of kernels.cu compiled for the host, a registry of
// them by name, and the launcher that runs a grid block by block (see emu.h).

#include "emu.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <ucontext.h>

#include <string>
#include <type_traits>
#include <utility>
#include <vector>

emu_dim3 threadIdx, blockIdx, blockDim, gridDim;
uint64_t emu_shfl_slots[32][32];

#include "kernels.cu"

// Calling a kernel with its arguments in 8-byte slots, as the Go side packs them.
template <typename A> static A emu_unpack(uint64_t v);
template <> int emu_unpack<int>(uint64_t v) { return (int)(int64_t)v; }
template <> long long emu_unpack<long long>(uint64_t v) { return (long long)v; }
template <> float emu_unpack<float>(uint64_t v) {
	uint32_t b = (uint32_t)v;
	float f;
	memcpy(&f, &b, 4);
	return f;
}
template <> double emu_unpack<double>(uint64_t v) {
	double d;
	memcpy(&d, &v, 8);
	return d;
}
template <typename A> static A emu_arg(uint64_t v) {
	if constexpr (std::is_pointer<A>::value) {
		return (A)(uintptr_t)v;
	} else {
		return emu_unpack<A>(v);
	}
}

template <typename... Args, size_t... I>
static void emu_invoke(void (*f)(Args...), const uint64_t *a, std::index_sequence<I...>) {
	f(emu_arg<Args>(a[I])...);
}

struct emu_kernel {
	const char *name;
	int nargs;
	bool barriers; // uses __syncthreads or shuffles: its threads must run as coroutines
	void (*call)(const uint64_t *);
};

#define EMU_K(fn, sync)                                                                       \
	{#fn, emu_nargs(fn), sync, [](const uint64_t *a) {                                        \
		 emu_invoke(fn, a, std::make_index_sequence<emu_nargs_t<decltype(fn)>::value>{}); \
	 }}

template <typename F> struct emu_nargs_t;
template <typename... Args> struct emu_nargs_t<void(Args...)> {
	static constexpr int value = sizeof...(Args);
};
template <typename... Args> static constexpr int emu_nargs(void (*)(Args...)) { return sizeof...(Args); }

#define EMU_BOTH(base, sync) EMU_K(base##_f32, sync), EMU_K(base##_f64, sync)

static const emu_kernel emu_kernels[] = {
	EMU_BOTH(fill, false), EMU_BOTH(axpy, false), EMU_BOTH(scale, false), EMU_BOTH(add, false),
	EMU_BOTH(mul, false), EMU_BOTH(mul_cyclic, false), EMU_BOTH(add_bias, false), EMU_BOTH(act_fwd, false),
	EMU_BOTH(act_bwd, false), EMU_BOTH(copy2d, false), EMU_BOTH(axpy2d, false), EMU_BOTH(scale2d, false),
	EMU_BOTH(colsum, true), EMU_BOTH(colsum_finish, false), EMU_BOTH(reduce_partial, true),
	EMU_K(reduce_finish, true), EMU_BOTH(reduce_acc, true), EMU_BOTH(clip_scale, false),
	EMU_BOTH(layer_norm, true), EMU_BOTH(layer_norm_bwd, true), EMU_BOTH(layer_norm_param, true),
	EMU_BOTH(layer_norm_param_finish, false), EMU_BOTH(log_softmax, true), EMU_BOTH(log_softmax_bwd, true),
	EMU_BOTH(ce_fwd, true), EMU_BOTH(ce_sums, true), EMU_BOTH(ce_bwd, true), EMU_BOTH(gather, false),
	EMU_BOTH(scatter_add, false), EMU_BOTH(max_over_time, false), EMU_BOTH(max_over_time_bwd, false),
	EMU_BOTH(mean_over_time, false), EMU_BOTH(mean_over_time_bwd, false), EMU_BOTH(sgd, false),
	EMU_BOTH(adam, false), EMU_BOTH(adamax, false), EMU_BOTH(sru_fwd, false), EMU_BOTH(sru_bwd, false),
	EMU_BOTH(sru_param_grad, false), EMU_BOTH(lstm_fwd, false), EMU_BOTH(lstm_bwd, false),
	EMU_BOTH(masked_softmax, true), EMU_BOTH(softmax_bwd, true), EMU_BOTH(additive_scores, true),
	EMU_BOTH(additive_bwd_q, false), EMU_BOTH(additive_bwd_k, false), EMU_BOTH(additive_dv, false),
	EMU_BOTH(ctc_fwd, true), EMU_BOTH(ctc_bwd, true),
};

extern "C" int emu_kernel_index(const char *name) {
	for (size_t i = 0; i < sizeof emu_kernels / sizeof emu_kernels[0]; i++) {
		if (std::string(emu_kernels[i].name) == name) return (int)i;
	}
	return -1;
}

extern "C" int emu_kernel_nargs(int k) { return emu_kernels[k].nargs; }

// --- coroutine threads of one block ---

enum { EMU_RUNNABLE, EMU_WAITING, EMU_DONE };

struct emu_thread {
	emu_dim3 tid;
	int state, scope; // scope of the barrier it waits at
	bool started;
	jmp_buf jb;
	ucontext_t uc;
	char *stack;
};

static const size_t emu_stack_size = 256 << 10;
static std::vector<emu_thread> emu_threads;
static jmp_buf emu_sched_jb;
static int emu_cur;
static const emu_kernel *emu_cur_kernel;
static const uint64_t *emu_cur_args;
static bool emu_coroutines;

static void emu_thread_main() {
	emu_cur_kernel->call(emu_cur_args);
	emu_threads[emu_cur].state = EMU_DONE;
	_longjmp(emu_sched_jb, 1);
}

void emu_barrier(int scope) {
	if (!emu_coroutines) {
		fprintf(stderr, "cuda emulator: kernel %s synchronizes but is registered without barriers\n",
		        emu_cur_kernel->name);
		abort();
	}
	emu_thread &t = emu_threads[emu_cur];
	t.state = EMU_WAITING;
	t.scope = scope;
	if (_setjmp(t.jb) == 0) _longjmp(emu_sched_jb, 1);
	threadIdx = t.tid; // resumed by the scheduler
}

static void emu_resume(int i) {
	emu_cur = i;
	emu_thread &t = emu_threads[i];
	threadIdx = t.tid;
	if (_setjmp(emu_sched_jb) != 0) return; // the thread yielded or finished
	if (!t.started) {
		t.started = true;
		ucontext_t here;
		swapcontext(&here, &t.uc); // never returns here: the thread comes back by _longjmp
	} else {
		_longjmp(t.jb, 1);
	}
}

// Runs the block's threads as coroutines until all are done; a barrier opens when every live
// thread of its scope waits at it.
static void emu_run_block_coroutines(int nthreads) {
	for (int i = 0; i < nthreads; i++) {
		emu_thread &t = emu_threads[i];
		t.state = EMU_RUNNABLE;
		t.started = false;
		getcontext(&t.uc);
		t.uc.uc_stack.ss_sp = t.stack;
		t.uc.uc_stack.ss_size = emu_stack_size;
		t.uc.uc_link = nullptr;
		makecontext(&t.uc, emu_thread_main, 0);
	}
	const int warps = (nthreads + 31) / 32;
	for (;;) {
		bool ran = false;
		for (int i = 0; i < nthreads; i++) {
			if (emu_threads[i].state == EMU_RUNNABLE) {
				emu_resume(i);
				ran = true;
			}
		}
		int live = 0, atBlock = 0;
		std::vector<int> live_w(warps, 0), at_w(warps, 0);
		for (int i = 0; i < nthreads; i++) {
			const emu_thread &t = emu_threads[i];
			if (t.state == EMU_DONE) continue;
			live++;
			live_w[i / 32]++;
			if (t.state == EMU_WAITING) {
				if (t.scope < 0) {
					atBlock++;
				} else {
					at_w[t.scope]++;
				}
			}
		}
		if (live == 0) return;
		bool released = false;
		if (atBlock == live) {
			for (int i = 0; i < nthreads; i++) {
				if (emu_threads[i].state == EMU_WAITING) emu_threads[i].state = EMU_RUNNABLE;
			}
			released = true;
		} else {
			for (int w = 0; w < warps; w++) {
				if (at_w[w] > 0 && at_w[w] == live_w[w]) {
					for (int i = w * 32; i < nthreads && i < (w + 1) * 32; i++) {
						if (emu_threads[i].state == EMU_WAITING) emu_threads[i].state = EMU_RUNNABLE;
					}
					released = true;
				}
			}
		}
		if (!released && !ran) {
			fprintf(stderr, "cuda emulator: kernel %s deadlocks (%d live threads, %d at the block barrier)\n",
			        emu_cur_kernel->name, live, atBlock);
			abort();
		}
	}
}

// emu_launch runs kernel k over the grid, block by block; 0 on success.
extern "C" int emu_launch(int k, int gx, int gy, int bx, int by, const uint64_t *args) {
	const emu_kernel &kern = emu_kernels[k];
	const int nthreads = bx * by;
	if (nthreads <= 0 || nthreads > 1024 || gx <= 0 || gy <= 0) return 1;
	gridDim = {(unsigned)gx, (unsigned)gy, 1};
	blockDim = {(unsigned)bx, (unsigned)by, 1};
	emu_cur_kernel = &kern;
	emu_cur_args = args;
	emu_coroutines = kern.barriers;
	if (kern.barriers && (int)emu_threads.size() < nthreads) {
		size_t old = emu_threads.size();
		emu_threads.resize(nthreads);
		for (size_t i = old; i < emu_threads.size(); i++) emu_threads[i].stack = (char *)malloc(emu_stack_size);
	}
	for (int y = 0; y < gy; y++) {
		for (int x = 0; x < gx; x++) {
			blockIdx = {(unsigned)x, (unsigned)y, 0};
			if (!kern.barriers) {
				for (int ty = 0; ty < by; ty++) {
					for (int tx = 0; tx < bx; tx++) {
						threadIdx = {(unsigned)tx, (unsigned)ty, 0};
						kern.call(args);
					}
				}
				continue;
			}
			for (int i = 0; i < nthreads; i++) emu_threads[i].tid = {(unsigned)(i % bx), (unsigned)(i / bx), 0};
			emu_run_block_coroutines(nthreads);
		}
	}
	return 0;
}
