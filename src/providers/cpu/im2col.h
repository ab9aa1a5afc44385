// im2col / col2im over up to 3 spatial dims (1-D and 2-D are handled as 3-D with leading extents of 1).
#pragma once

#include <cstdint>

namespace kiln::cpu {

// Geometry of one convolution window, spatial dims padded to 3 (leading entries: extent 1, kernel 1, stride 1).
struct ConvGeometry {
    int64_t in[3] = {1, 1, 1};
    int64_t out[3] = {1, 1, 1};
    int64_t kernel[3] = {1, 1, 1};
    int64_t stride[3] = {1, 1, 1};
    int64_t dilation[3] = {1, 1, 1};
    int64_t pad[3] = {0, 0, 0};  // begin pads (end pads are implied by `out`)

    int64_t in_size() const { return in[0] * in[1] * in[2]; }
    int64_t out_size() const { return out[0] * out[1] * out[2]; }
    int64_t kernel_size() const { return kernel[0] * kernel[1] * kernel[2]; }
};

// col[(c, kd, kh, kw), (od, oh, ow)] = x[c, od*s - p + kd*d, ...] (zero outside the input), for channels
// [0, channels) of x [channels, in...]; rows in [row_begin, row_end) of the channels * kernel_size rows.
void im2col(const ConvGeometry& g, const float* x, int64_t row_begin, int64_t row_end, float* col);

// y[m, (i*s - p + k*d)] += col[(m, k...), i...] for output channels [m_begin, m_end); y is [channels, out...] where
// `out` are the transposed conv's output extents (g.out) and `in` its input extents (g.in).
void col2im_add(const ConvGeometry& g, const float* col, int64_t m_begin, int64_t m_end, float* y);

}  // namespace kiln::cpu
