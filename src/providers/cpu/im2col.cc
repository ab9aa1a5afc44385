#include "providers/cpu/im2col.h"

#include <algorithm>
#include <cstring>

namespace kiln::cpu {

void im2col(const ConvGeometry& g, const float* x, int64_t row_begin, int64_t row_end, float* col) {
    const int64_t k_size = g.kernel_size();
    const int64_t o0 = g.out[0], o1 = g.out[1], o2 = g.out[2];
    const int64_t plane = o1 * o2;
    for (int64_t row = row_begin; row < row_end; ++row) {
        int64_t c = row / k_size;
        int64_t r = row % k_size;
        int64_t kw = r % g.kernel[2];
        int64_t kh = (r / g.kernel[2]) % g.kernel[1];
        int64_t kd = r / (g.kernel[2] * g.kernel[1]);
        float* dst = col + (row - row_begin) * g.out_size();
        const float* xc = x + c * g.in_size();
        const int64_t iw0 = kw * g.dilation[2] - g.pad[2];
        const int64_t s2 = g.stride[2];
        // Valid ow range: 0 <= ow * s2 + iw0 < in[2].
        int64_t lo = iw0 >= 0 ? 0 : (-iw0 + s2 - 1) / s2;
        int64_t hi = g.in[2] - iw0 <= 0 ? 0 : (g.in[2] - iw0 + s2 - 1) / s2;
        lo = std::min(lo, o2);
        hi = std::clamp(hi, lo, o2);
        for (int64_t od = 0; od < o0; ++od) {
            int64_t id = od * g.stride[0] - g.pad[0] + kd * g.dilation[0];
            if (id < 0 || id >= g.in[0]) {
                std::memset(dst + od * plane, 0, sizeof(float) * plane);
                continue;
            }
            for (int64_t oh = 0; oh < o1; ++oh) {
                float* d = dst + od * plane + oh * o2;
                int64_t ih = oh * g.stride[1] - g.pad[1] + kh * g.dilation[1];
                if (ih < 0 || ih >= g.in[1]) {
                    std::memset(d, 0, sizeof(float) * o2);
                    continue;
                }
                const float* src = xc + (id * g.in[1] + ih) * g.in[2] + iw0;
                for (int64_t ow = 0; ow < lo; ++ow) d[ow] = 0.f;
                if (s2 == 1) {
                    std::memcpy(d + lo, src + lo, sizeof(float) * (hi - lo));
                } else {
                    for (int64_t ow = lo; ow < hi; ++ow) d[ow] = src[ow * s2];
                }
                for (int64_t ow = hi; ow < o2; ++ow) d[ow] = 0.f;
            }
        }
    }
}

void col2im_add(const ConvGeometry& g, const float* col, int64_t m_begin, int64_t m_end, float* y) {
    const int64_t k_size = g.kernel_size();
    const int64_t i0 = g.in[0], i1 = g.in[1], i2 = g.in[2];
    for (int64_t m = m_begin; m < m_end; ++m) {
        float* ym = y + m * g.out_size();
        for (int64_t r = 0; r < k_size; ++r) {
            int64_t kw = r % g.kernel[2];
            int64_t kh = (r / g.kernel[2]) % g.kernel[1];
            int64_t kd = r / (g.kernel[2] * g.kernel[1]);
            const float* src = col + (m * k_size + r) * g.in_size();
            const int64_t ow0 = kw * g.dilation[2] - g.pad[2];
            const int64_t s2 = g.stride[2];
            for (int64_t id = 0; id < i0; ++id) {
                int64_t od = id * g.stride[0] - g.pad[0] + kd * g.dilation[0];
                if (od < 0 || od >= g.out[0]) continue;
                for (int64_t ih = 0; ih < i1; ++ih) {
                    int64_t oh = ih * g.stride[1] - g.pad[1] + kh * g.dilation[1];
                    if (oh < 0 || oh >= g.out[1]) continue;
                    const float* s = src + (id * i1 + ih) * i2;
                    float* d = ym + (od * g.out[1] + oh) * g.out[2];
                    for (int64_t iw = 0; iw < i2; ++iw) {
                        int64_t ow = iw * s2 + ow0;
                        if (ow >= 0 && ow < g.out[2]) d[ow] += s[iw];
                    }
                }
            }
        }
    }
}

}  // namespace kiln::cpu
