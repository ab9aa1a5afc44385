// Float32 exp and erf written as straight-line code that the compiler vectorises inside plain loops (glibc's
// expf / erff are scalar calls). Accuracy: exp_approx ~2 ulp (Cephes expf), erf_approx < 2e-7 absolute (Eigen's
// rational approximation) over the whole real line.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace kiln::cpu {

// e^x for x <= 88.7; 0 below -87.3 (no denormals). NaN in, NaN out.
inline float exp_approx(float x) {
    const float lo = -87.3f, hi = 88.7f;
    bool underflow = x < lo;
    x = std::min(std::max(x, lo), hi);
    // n = round(x / ln 2) via the 1.5 * 2^23 trick (round to nearest, exact for |n| < 2^22).
    const float magic = 12582912.f;
    float t = x * 1.44269504088896341f + magic;
    float n = t - magic;
    float r = x - n * 0.693359375f - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float y = p * r * r + r + 1.f;
    int32_t bits;
    std::memcpy(&bits, &t, sizeof bits);
    int32_t scale_bits = (bits - 0x4B400000 + 127) << 23;  // 2^n
    float scale;
    std::memcpy(&scale, &scale_bits, sizeof scale);
    return underflow ? 0.f : y * scale;
}

// erf(x): x * P(x^2) / Q(x^2) with x clamped to [-4, 4] (erf is +-1 in float beyond).
inline float erf_approx(float x) {
    x = std::min(std::max(x, -4.f), 4.f);
    float x2 = x * x;
    float p = x2 * -2.72614225801306e-10f + 2.77068142495902e-08f;
    p = x2 * p + -2.10102402082508e-06f;
    p = x2 * p + -5.69250639462346e-05f;
    p = x2 * p + -7.34990630326855e-04f;
    p = x2 * p + -2.95459980854025e-03f;
    p = x2 * p + -1.60960333262415e-02f;
    float q = x2 * -1.45660718464996e-05f + -2.13374055278905e-04f;
    q = x2 * q + -1.68282697438203e-03f;
    q = x2 * q + -7.37332916720468e-03f;
    q = x2 * q + -1.42647390514189e-02f;
    return x * p / q;
}

}  // namespace kiln::cpu
