// The one translation unit of the gosru CUDA kernels: scripts/build_kernels.sh compiles it to
// kernels.fatbin (SASS for sm_80 and sm_90, PTX for compute_80), which device.go embeds.

#include "attention.cuh"
#include "elementwise.cuh"
#include "lstm.cuh"
#include "nn.cuh"
#include "sru.cuh"
#include "ctc.cuh"

ELEMENTWISE_KERNELS(float, f32)
ELEMENTWISE_KERNELS(double, f64)
NN_KERNELS(float, f32)
NN_KERNELS(double, f64)
SRU_KERNELS(float, f32)
SRU_KERNELS(double, f64)
LSTM_KERNELS(float, f32)
LSTM_KERNELS(double, f64)
ATTENTION_KERNELS(float, f32)
ATTENTION_KERNELS(double, f64)
CTC_KERNELS(float, f32)
CTC_KERNELS(double, f64)
