/* Filtered leaky ReLU of sg3.ops on the CPU, one plane (one channel of one image) at a time:
 * bias, upsampling (zero-stuffing, padding, FIR), leaky ReLU, clamp, downsampling (FIR, decimation),
 * computed as separable polyphase passes that only multiply taps that meet a sample.
 *
 * Same linear maps as sg3/ops/filtered_lrelu.py (the reference): every 2-D filter arrives split into
 * separable terms (vertical taps, horizontal taps) whose outer products sum to it; all gains are folded
 * into the taps. One 1-D pass along an axis computes
 *     out[o] = sum_i in[i] * taps[i * up + pad0 - o * down],   taps outside [0, k) are zero,
 * with either up = 1 or down = 1. The output rows of a plane are done in strips so that the upsampled
 * rows of a strip stay in the CPU's caches. Built at run time by sg3/ops/native.py with the machine's
 * own vector instructions; plain C plus GCC/Clang vector extensions, no intrinsics.
 */

#include <stdlib.h>
#include <string.h>

#define VL 8                        /* Floats per vector. */
#define CHUNK (4 * VL)              /* Floats per inner block (4 independent accumulators). */
#define MAX_FACTOR 8                /* The limits; sg3/ops/native.py has the same numbers. */
#define MAX_TERMS 16
#define MAX_TAPS 256
#define MAX_PAD (1 << 30)            /* Paddings within +-MAX_PAD: no int overflow in the index arithmetic. */

typedef float vf __attribute__((vector_size(VL * 4)));
typedef float vfu __attribute__((vector_size(VL * 4), aligned(4)));

static inline vf loadu(const float *p) { return *(const vfu *)p; }
static inline void storeu(float *p, vf v) { *(vfu *)p = v; }

static inline long floor_div(long a, long b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
static inline long ceil_div(long a, long b) { return -floor_div(-a, b); }
static inline long round_up(long a, long b) { return ceil_div(a, b) * b; }
static inline long max_l(long a, long b) { return a > b ? a : b; }
static inline long min_l(long a, long b) { return a < b ? a : b; }

/*------------------------------------------------------------------------------------------------*/
/* One 1-D resampling: out[o] = sum_i in[i] * taps[i * up + pad0 - o * down]. */

typedef struct {
    const float *taps;
    int k, up, down, pad0, n_in, n_out;
} pass1d;

/* Vertical passes of several terms at once: destination rows [o0, o1) of every term j (row o of term j at
 * dst[j] + (o - o0) * stride) from source rows [s0, s1) (row i at src + (i - s0) * stride); rows outside
 * [0, n_in) are zero, rows needed inside [0, n_in) must lie in [s0, s1). `width` (a multiple of CHUNK)
 * floats per row. One sweep over the source rows serves up to MT (output row, term) targets: two rows of
 * a single term, or up to MT terms of one row, so that each loaded vector feeds several multiply-adds and
 * at least 8 independent sums hide the FMA latency. */

#define MT 4
#define SWEEP_VL 4                  /* Vectors per target and column block. */

typedef struct {
    float *dst;                     /* Destination row. */
    float coef[MAX_TAPS + MAX_FACTOR * MT + MAX_FACTOR]; /* Taps over the group's source rows [lo, hi), zeros where none. */
} target;

static inline __attribute__((always_inline)) void sweep(int nt, target *tg, const float *src, long lo, long hi, long s0,
                                                        long stride, long width)
{
    for (long c = 0; c < width; c += SWEEP_VL * VL) {
        vf acc[MT][SWEEP_VL];
        for (int t = 0; t < nt; t++)
            for (int v = 0; v < SWEEP_VL; v++) acc[t][v] = (vf){0};
        for (long i = lo; i < hi; i++) {
            const float *s = src + (i - s0) * stride + c;
            vf x[SWEEP_VL];
            for (int v = 0; v < SWEEP_VL; v++) x[v] = loadu(s + v * VL);
            for (int t = 0; t < nt; t++) {
                float w = tg[t].coef[i - lo];
                for (int v = 0; v < SWEEP_VL; v++) acc[t][v] += w * x[v];
            }
        }
        for (int t = 0; t < nt; t++)
            for (int v = 0; v < SWEEP_VL; v++) storeu(tg[t].dst + c + v * VL, acc[t][v]);
    }
}

/* The same for targets that share their source rows [lo, hi) and whose taps are symmetric (the first `ns`)
 * or antisymmetric (the other `na`) about the middle, as the separable terms of a radial filter are: pairs of
 * rows are added and subtracted once for all targets, which halves the multiply-adds. */
static inline __attribute__((always_inline)) void sweep_folded(int ns, int na, target *tg, const float *src, long lo,
                                                               long hi, long s0, long stride, long width)
{
    long half = (hi - lo) / 2;
    for (long c = 0; c < width; c += SWEEP_VL * VL) {
        vf acc[MT][SWEEP_VL];
        for (int t = 0; t < ns + na; t++)
            for (int v = 0; v < SWEEP_VL; v++) acc[t][v] = (vf){0};
        for (long k = 0; k < half; k++) {
            const float *top = src + (lo + k - s0) * stride + c, *bottom = src + (hi - 1 - k - s0) * stride + c;
            vf sum[SWEEP_VL], dif[SWEEP_VL];
            for (int v = 0; v < SWEEP_VL; v++) {
                vf a = loadu(top + v * VL), b = loadu(bottom + v * VL);
                sum[v] = a + b;
                dif[v] = a - b;
            }
            for (int t = 0; t < ns; t++)
                for (int v = 0; v < SWEEP_VL; v++) acc[t][v] += tg[t].coef[k] * sum[v];
            for (int t = ns; t < ns + na; t++)
                for (int v = 0; v < SWEEP_VL; v++) acc[t][v] += tg[t].coef[k] * dif[v];
        }
        if ((hi - lo) & 1) { /* The middle row: only symmetric taps reach it. */
            const float *mid = src + (lo + half - s0) * stride + c;
            for (int v = 0; v < SWEEP_VL; v++) {
                vf x = loadu(mid + v * VL);
                for (int t = 0; t < ns; t++) acc[t][v] += tg[t].coef[half] * x;
            }
        }
        for (int t = 0; t < ns + na; t++)
            for (int v = 0; v < SWEEP_VL; v++) storeu(tg[t].dst + c + v * VL, acc[t][v]);
    }
}

/* +1 if c[0, n) is symmetric about its middle, -1 if antisymmetric, 0 if neither (within 1e-6 of its
 * largest magnitude: the tolerance of the separable terms themselves). */
static int parity(const float *c, long n)
{
    float big = 0.0f;
    for (long i = 0; i < n; i++) big = c[i] > big ? c[i] : -c[i] > big ? -c[i] : big;
    int sym = 1, anti = 1;
    for (long i = 0; i < n; i++) {
        float a = c[i], b = c[n - 1 - i], d = a - b, e = a + b;
        sym &= (d < 0 ? -d : d) <= 1e-6f * big;
        anti &= (e < 0 ? -e : e) <= 1e-6f * big;
    }
    return sym ? 1 : anti ? -1 : 0;
}

/* Sweep `nt` targets of one output row, folded where every target is symmetric or antisymmetric (reordered
 * symmetric first); returns 0 where they are not. */
static int try_folded(int nt, target *tg, const float *src, long lo, long hi, long s0, long stride, long width)
{
    target sorted[MT];
    int ns = 0, na = 0;
    for (int t = 0; t < nt; t++) if (parity(tg[t].coef, hi - lo) == 1) sorted[ns++] = tg[t];
    for (int t = 0; t < nt; t++) if (parity(tg[t].coef, hi - lo) == -1) sorted[ns + na++] = tg[t];
    if (ns + na != nt)
        return 0;
    switch (ns * 8 + na) {
#define FOLDED(S, A) case S * 8 + A: sweep_folded(S, A, sorted, src, lo, hi, s0, stride, width); return 1;
        FOLDED(0, 1) FOLDED(0, 2) FOLDED(0, 3) FOLDED(0, 4) FOLDED(1, 0) FOLDED(1, 1) FOLDED(1, 2) FOLDED(1, 3)
        FOLDED(2, 0) FOLDED(2, 1) FOLDED(2, 2) FOLDED(3, 0) FOLDED(3, 1) FOLDED(4, 0)
#undef FOLDED
    }
    return 0;
}

/* Output rows per sweep of `n_terms` terms (two rows share most source rows; more would add zero taps). */
static int rows_per_sweep(int n_terms) { return n_terms == 1 ? 2 : 1; }

static void vertical(const pass1d *p, int n_terms, const float *src, long s0, long s1, float *const *dst, long o0, long o1,
                     long stride, long width)
{
    long rows_lo = max_l(s0, 0), rows_hi = min_l(s1, p[0].n_in);
    int terms_per_group = n_terms < MT ? n_terms : MT;
    int rows_per_group = rows_per_sweep(n_terms);
    target tg[MT];
    for (int j0 = 0; j0 < n_terms; j0 += terms_per_group) {
        int nj = min_l(terms_per_group, n_terms - j0);
        for (long r0 = o0; r0 < o1; r0 += rows_per_group) {
            long r1 = min_l(r0 + rows_per_group, o1);

            /* Source rows of the group, then each target's taps over them. */
            long lo = rows_hi, hi = rows_lo;
            for (long o = r0; o < r1; o++)
                for (int j = j0; j < j0 + nj; j++) {
                    long base = o * p[j].down - p[j].pad0;
                    lo = min_l(lo, max_l(ceil_div(base, p[j].up), rows_lo));
                    hi = max_l(hi, min_l(floor_div(base + p[j].k - 1, p[j].up) + 1, rows_hi));
                }
            int nt = 0;
            for (long o = r0; o < r1; o++)
                for (int j = j0; j < j0 + nj; j++, nt++) {
                    long base = o * p[j].down - p[j].pad0;
                    tg[nt].dst = dst[j] + (o - o0) * stride;
                    for (long i = lo; i < hi; i++) {
                        long m = i * p[j].up - base;
                        tg[nt].coef[i - lo] = m >= 0 && m < p[j].k ? p[j].taps[m] : 0.0f;
                    }
                }
            if (hi <= lo) { /* Nothing reaches these rows: zeros. */
                for (int t = 0; t < nt; t++) memset(tg[t].dst, 0, width * sizeof(float));
                continue;
            }
            if (rows_per_group == 1 && try_folded(nt, tg, src, lo, hi, s0, stride, width))
                continue;
            switch (nt) {
                case 1: sweep(1, tg, src, lo, hi, s0, stride, width); break;
                case 2: sweep(2, tg, src, lo, hi, s0, stride, width); break;
                case 3: sweep(3, tg, src, lo, hi, s0, stride, width); break;
                default: sweep(4, tg, src, lo, hi, s0, stride, width); break;
            }
        }
    }
}

/* out[t] = sum over sources j and taps m of taps_j[m] * x_j[t + m], for t in [0, n) rounded up to CHUNK
 * (x_j readable that far, out writable that far). */
static void fir(int n_src, const float *const *xs, const float *const *taps, const int *counts, float *out, long n)
{
    for (long t = 0; t < n; t += CHUNK) {
        /* Two sets of accumulators (even and odd taps): eight independent sums hide the FMA latency. */
        vf a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, b0 = {0}, b1 = {0}, b2 = {0}, b3 = {0};
        for (int j = 0; j < n_src; j++) {
            const float *x = xs[j] + t;
            int m = 0;
            for (; m + 1 < counts[j]; m += 2) {
                float c = taps[j][m], d = taps[j][m + 1];
                a0 += c * loadu(x + m); a1 += c * loadu(x + m + VL);
                a2 += c * loadu(x + m + 2 * VL); a3 += c * loadu(x + m + 3 * VL);
                b0 += d * loadu(x + m + 1); b1 += d * loadu(x + m + 1 + VL);
                b2 += d * loadu(x + m + 1 + 2 * VL); b3 += d * loadu(x + m + 1 + 3 * VL);
            }
            if (m < counts[j]) {
                float c = taps[j][m];
                a0 += c * loadu(x + m); a1 += c * loadu(x + m + VL);
                a2 += c * loadu(x + m + 2 * VL); a3 += c * loadu(x + m + 3 * VL);
            }
        }
        storeu(out + t, a0 + b0); storeu(out + t + VL, a1 + b1);
        storeu(out + t + 2 * VL, a2 + b2); storeu(out + t + 3 * VL, a3 + b3);
    }
}

#if defined(__has_builtin)
#if __has_builtin(__builtin_shufflevector) && VL == 8
#define HAVE_SHUFFLE 1
#endif
#endif

/* out[2t] (+)= a[t], out[2t + 1] (+)= b[t] for t in [0, n). */
static void interleave2(const float *a, const float *b, float *out, long n, int accumulate)
{
    long t = 0;
#ifdef HAVE_SHUFFLE
    for (; t + VL <= n; t += VL) {
        vf x = loadu(a + t), y = loadu(b + t);
        vf lo = __builtin_shufflevector(x, y, 0, 8, 1, 9, 2, 10, 3, 11);
        vf hi = __builtin_shufflevector(x, y, 4, 12, 5, 13, 6, 14, 7, 15);
        if (accumulate) { lo += loadu(out + 2 * t); hi += loadu(out + 2 * t + VL); }
        storeu(out + 2 * t, lo); storeu(out + 2 * t + VL, hi);
    }
#endif
    for (; t < n; t++) {
        out[2 * t] = (accumulate ? out[2 * t] : 0.0f) + a[t];
        out[2 * t + 1] = (accumulate ? out[2 * t + 1] : 0.0f) + b[t];
    }
}

/* out[4t + q] (+)= w_q[t] for q < 4 and t in [0, n), w_q = w + q * stride. */
static void interleave4(const float *w, long stride, float *out, long n, int accumulate)
{
    const float *a = w, *b = w + stride, *c = w + 2 * stride, *d = w + 3 * stride;
    long t = 0;
#ifdef HAVE_SHUFFLE
    for (; t + VL <= n; t += VL) {
        vf va = loadu(a + t), vb = loadu(b + t), vc = loadu(c + t), vd = loadu(d + t);
        vf ab_lo = __builtin_shufflevector(va, vb, 0, 8, 1, 9, 2, 10, 3, 11);
        vf ab_hi = __builtin_shufflevector(va, vb, 4, 12, 5, 13, 6, 14, 7, 15);
        vf cd_lo = __builtin_shufflevector(vc, vd, 0, 8, 1, 9, 2, 10, 3, 11);
        vf cd_hi = __builtin_shufflevector(vc, vd, 4, 12, 5, 13, 6, 14, 7, 15);
        vf o[4] = {
            __builtin_shufflevector(ab_lo, cd_lo, 0, 1, 8, 9, 2, 3, 10, 11),
            __builtin_shufflevector(ab_lo, cd_lo, 4, 5, 12, 13, 6, 7, 14, 15),
            __builtin_shufflevector(ab_hi, cd_hi, 0, 1, 8, 9, 2, 3, 10, 11),
            __builtin_shufflevector(ab_hi, cd_hi, 4, 5, 12, 13, 6, 7, 14, 15),
        };
        for (int v = 0; v < 4; v++) {
            if (accumulate) o[v] += loadu(out + 4 * t + v * VL);
            storeu(out + 4 * t + v * VL, o[v]);
        }
    }
#endif
    for (; t < n; t++)
        for (int q = 0; q < 4; q++)
            out[4 * t + q] = (accumulate ? out[4 * t + q] : 0.0f) + w[q * stride + t];
}

/* e[j] = in[2j], f[j] = in[2j + 1] for j in [0, n). */
static void deinterleave2(const float *in, float *e, float *f, long n)
{
    long j = 0;
#ifdef HAVE_SHUFFLE
    for (; j + VL <= n; j += VL) {
        vf a = loadu(in + 2 * j), b = loadu(in + 2 * j + VL);
        storeu(e + j, __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14));
        storeu(f + j, __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15));
    }
#endif
    for (; j < n; j++) { e[j] = in[2 * j]; f[j] = in[2 * j + 1]; }
}

/*------------------------------------------------------------------------------------------------*/
/* Horizontal passes as phases.
 * Upsampling (down = 1): output o0 + up * t (o0 < up) only meets taps r + up * m with r = (pad0 - o0) mod up,
 * at input t + m + c; input rows hold sample i at `margin` + i.
 * Downsampling (up = 1, pad0 = 0): with x_q[j] = in[j * down + q], out[o] = sum over taps a * down + q of
 * taps[a * down + q] * x_q[o + a]. */

typedef struct {
    int count[MAX_FACTOR];          /* Taps per phase. */
    long offset[MAX_FACTOR];        /* Upsampling: margin + c of each phase. */
    long len[MAX_FACTOR];           /* Upsampling: outputs per phase. */
    float taps[MAX_FACTOR][MAX_TAPS];
} phases;

static void make_up_phases(const pass1d *p, long margin, phases *ph)
{
    for (int o0 = 0; o0 < p->up; o0++) {
        int r = ((p->pad0 - o0) % p->up + p->up) % p->up;
        ph->count[o0] = 0;
        for (int m = 0; r + p->up * m < p->k; m++)
            ph->taps[o0][ph->count[o0]++] = p->taps[r + p->up * m];
        ph->offset[o0] = margin + (r - p->pad0 + o0) / p->up;
        ph->len[o0] = o0 < p->n_out ? ceil_div(p->n_out - o0, p->up) : 0;
    }
}

static void make_down_phases(const pass1d *p, phases *ph)
{
    for (int q = 0; q < p->down; q++) {
        ph->count[q] = 0;
        for (int a = 0; a * p->down + q < p->k; a++)
            ph->taps[q][ph->count[q]++] = p->taps[a * p->down + q];
    }
}

/* One row: out[0, n_out) (+)= the upsampled `in`; `work` holds `up` rows of `work_stride` floats. */
static void horizontal_up(const pass1d *p, const phases *ph, const float *in, float *out, float *work,
                          long work_stride, int accumulate)
{
    for (int o0 = 0; o0 < p->up; o0++) {
        const float *x = in + ph->offset[o0];
        const float *taps = ph->taps[o0];
        fir(1, &x, &taps, &ph->count[o0], work + o0 * work_stride, ph->len[o0]);
    }
    if (p->up == 2) {
        interleave2(work, work + work_stride, out, p->n_out / 2, accumulate);
        if (p->n_out & 1) out[p->n_out - 1] = (accumulate ? out[p->n_out - 1] : 0.0f) + work[p->n_out / 2];
        return;
    }
    long done = 0; /* Outputs written by a vectorized interleave. */
    if (p->up == 4) {
        interleave4(work, work_stride, out, p->n_out / 4, accumulate);
        done = p->n_out / 4 * 4;
    }
    for (int o0 = 0; o0 < p->up; o0++) {
        const float *w = work + o0 * work_stride;
        for (long t = (done - o0 + p->up - 1) / p->up; t < ph->len[o0]; t++)
            out[o0 + p->up * t] = (accumulate ? out[o0 + p->up * t] : 0.0f) + w[t];
    }
}

/* One row: out[0, n_out) = the sum over terms j of the downsampled in[j]; `split` holds n_terms * down rows
 * of `split_stride` floats. */
static void horizontal_down(const pass1d *p, const phases *ph, int n_terms, const float *const *in, float *out,
                            float *split, long split_stride)
{
    const float *xs[MAX_TERMS * MAX_FACTOR];
    const float *taps[MAX_TERMS * MAX_FACTOR];
    int counts[MAX_TERMS * MAX_FACTOR];
    int d = p[0].down, n = 0;
    for (int j = 0; j < n_terms; j++) {
        float *rows = split + (long)j * d * split_stride;
        if (d == 2)
            deinterleave2(in[j], rows, rows + split_stride, split_stride);
        else if (d > 2)
            for (int q = 0; q < d; q++)
                for (long i = 0; i < split_stride; i++) rows[q * split_stride + i] = in[j][i * d + q];
        for (int q = 0; q < d; q++, n++) {
            xs[n] = d == 1 ? in[j] : rows + q * split_stride;
            taps[n] = ph[j].taps[q];
            counts[n] = ph[j].count[q];
        }
    }
    fir(n, xs, taps, counts, out, p[0].n_out);
}

/*------------------------------------------------------------------------------------------------*/

/* What a call needs to know besides the buffers; mirrored field by field by FilteredLreluGeometry in
 * sg3/ops/native.py (which checks every value before the call; the checks here are a second line). */
typedef struct {
    int in_h, in_w;                 /* Input plane. */
    int up, down;                   /* Factors, 1..MAX_FACTOR. */
    int num_up_terms, num_down_terms; /* Separable terms of the filters, 1..MAX_TERMS. */
    int strip_rows;                 /* Output rows per strip. */
    int up_h, up_w;                 /* Upsampled plane. */
    int out_h, out_w;               /* Output plane. */
    int up_pad_y, up_pad_x;         /* Padding before the first upsampled row / column (negative crops). */
    int num_taps;                   /* Floats in `taps`: the sum of the tap counts below. */
    int up_k_y[MAX_TERMS], up_k_x[MAX_TERMS]; /* Per up term: vertical and horizontal taps. */
    int down_k_y[MAX_TERMS], down_k_x[MAX_TERMS]; /* Per down term: vertical and horizontal taps. */
} sg3_flrelu_geometry;

/* sizeof(sg3_flrelu_geometry), for the caller to check its mirror of the struct. */
long sg3_flrelu_geometry_size(void) { return sizeof(sg3_flrelu_geometry); }

static int taps_ok(int k) { return k >= 1 && k <= MAX_TAPS; }

/* 1 if the geometry is within the kernel's limits and its tap counts add up to num_taps. */
static int geometry_ok(const sg3_flrelu_geometry *g)
{
    if (g->up < 1 || g->up > MAX_FACTOR || g->down < 1 || g->down > MAX_FACTOR || g->strip_rows < 1
        || g->num_up_terms < 1 || g->num_up_terms > MAX_TERMS || g->num_down_terms < 1 || g->num_down_terms > MAX_TERMS
        || g->in_h < 1 || g->in_w < 1 || g->up_h < 1 || g->up_w < 1 || g->out_h < 1 || g->out_w < 1
        || g->up_pad_y < -MAX_PAD || g->up_pad_y > MAX_PAD || g->up_pad_x < -MAX_PAD || g->up_pad_x > MAX_PAD)
        return 0;
    long total = 0;
    for (int j = 0; j < g->num_up_terms; j++) {
        if (!taps_ok(g->up_k_y[j]) || !taps_ok(g->up_k_x[j])) return 0;
        total += g->up_k_y[j] + g->up_k_x[j];
    }
    for (int j = 0; j < g->num_down_terms; j++) {
        if (!taps_ok(g->down_k_y[j]) || !taps_ok(g->down_k_x[j])) return 0;
        total += g->down_k_y[j] + g->down_k_x[j];
    }
    return total == g->num_taps;
}

/* Planes [first_plane, first_plane + num_planes) of x [*, channels, in_h, in_w] (x, y point at the first of
 * them; bias: `channels` floats or NULL) into y [*, channels, out_h, out_w]. taps: all taps, per up term the
 * vertical then the horizontal ones, then the same per down term. clamp < 0: no clamping.
 * Returns 0, or -1 when memory ran out, -2 for unsupported arguments. */
int sg3_filtered_lrelu(const float *x, const float *bias, float *y, long num_planes, long channels, long first_plane,
                       const sg3_flrelu_geometry *geom, const float *taps, float slope, float clamp)
{
    if (!x || !y || !geom || !taps || num_planes < 0 || channels < 1 || first_plane < 0 || !geometry_ok(geom))
        return -2;
    int in_h = geom->in_h, in_w = geom->in_w, up = geom->up, down = geom->down;
    int n_up = geom->num_up_terms, n_down = geom->num_down_terms, strip_rows = geom->strip_rows;
    int up_h = geom->up_h, up_w = geom->up_w, out_h = geom->out_h, out_w = geom->out_w;
    pass1d vu[MAX_TERMS], hu[MAX_TERMS], vd[MAX_TERMS], hd[MAX_TERMS];
    const float *t = taps;
    for (int j = 0; j < n_up; j++) {
        vu[j] = (pass1d){t, geom->up_k_y[j], up, 1, geom->up_pad_y, in_h, up_h}; t += geom->up_k_y[j];
        hu[j] = (pass1d){t, geom->up_k_x[j], up, 1, geom->up_pad_x, in_w, up_w}; t += geom->up_k_x[j];
    }
    int kdv = 0;
    for (int j = 0; j < n_down; j++) {
        vd[j] = (pass1d){t, geom->down_k_y[j], 1, down, 0, up_h, out_h}; t += geom->down_k_y[j];
        hd[j] = (pass1d){t, geom->down_k_x[j], 1, down, 0, up_w, out_w}; t += geom->down_k_x[j];
        kdv = vd[j].k > kdv ? vd[j].k : kdv;
    }

    /* Phases of the horizontal passes. Input rows: sample i at `margin` + i, zeros around, long enough
     * for every phase's reads. */
    phases *ph_up = malloc(sizeof(phases) * (n_up + n_down));
    if (!ph_up) return -1;
    phases *ph_down = ph_up + n_up;
    long margin = 0, in_need = in_w;
    for (int j = 0; j < n_up; j++) {
        make_up_phases(&hu[j], 0, &ph_up[j]);
        for (int o0 = 0; o0 < up; o0++) {
            long c = ph_up[j].offset[o0];
            margin = max_l(margin, -c);
            in_need = max_l(in_need, c + round_up(ph_up[j].len[o0], CHUNK) + ph_up[j].count[o0]);
        }
    }
    for (int j = 0; j < n_up; j++) make_up_phases(&hu[j], margin, &ph_up[j]);
    for (int j = 0; j < n_down; j++) make_down_phases(&hd[j], &ph_down[j]);

    /* Row layouts and work buffers (one allocation, zeroed: every value ever read is finite). Only the
     * activation rows of a strip are many; the vertical passes go a group of rows at a time. */
    int kh_down = 0;
    for (int j = 0; j < n_down; j++) kh_down = hd[j].k > kh_down ? hd[j].k : kh_down;
    long in_stride = round_up(margin + in_need, CHUNK);
    long split_stride = round_up(round_up(out_w, CHUNK) + ceil_div(kh_down, down), VL);
    long act_stride = round_up(max_l(up_w, down * split_stride), CHUNK);
    long act_width = round_up(up_w, CHUNK);
    long act_rows = (long)(strip_rows - 1) * down + kdv;
    long work_stride = round_up(max_l(up_w, out_w), CHUNK) + CHUNK;
    long group = MT;                                     /* Rows per vertical group, at most. */
    size_t floats = (size_t)in_h * in_stride            /* The plane plus bias, padded. */
        + (size_t)n_up * group * in_stride               /* Vertically upsampled rows of one group, per term. */
        + (size_t)act_rows * act_stride                  /* Upsampled rows of one strip (activation). */
        + (size_t)n_down * group * act_stride            /* Vertically downsampled rows of one group, per term. */
        + (size_t)n_down * down * split_stride           /* One row split into phases, per term. */
        + (size_t)MAX_FACTOR * work_stride;              /* Phases of one upsampled row. */
    float *mem = aligned_alloc(64, round_up((long)floats * 4, 64));
    if (!mem) { free(ph_up); return -1; }
    memset(mem, 0, floats * 4);
    float *plane = mem;
    float *vbuf[MAX_TERMS], *dbuf[MAX_TERMS];
    float *next = plane + (size_t)in_h * in_stride;
    for (int j = 0; j < n_up; j++, next += (size_t)group * in_stride) vbuf[j] = next;
    float *act = next;
    next += (size_t)act_rows * act_stride;
    for (int j = 0; j < n_down; j++, next += (size_t)group * act_stride) dbuf[j] = next;
    float *split = next;
    float *work = split + (size_t)n_down * down * split_stride;
    int has_clamp = clamp >= 0;
    long group_up = rows_per_sweep(n_up), group_down = rows_per_sweep(n_down);

    for (long p = 0; p < num_planes; p++) {
        const float *xp = x + p * (long)in_h * in_w;
        float *yp = y + p * (long)out_h * out_w;
        float b = bias ? bias[(first_plane + p) % channels] : 0.0f;
        for (long r = 0; r < in_h; r++) {
            float *row = plane + r * in_stride + margin;
            for (long c = 0; c < in_w; c++) row[c] = xp[r * in_w + c] + b;
        }

        for (long o0 = 0; o0 < out_h; o0 += strip_rows) {
            long o1 = min_l(o0 + strip_rows, out_h);
            long a0 = o0 * down, a1 = min_l((o1 - 1) * down + kdv, up_h);

            /* Upsample a group of rows vertically (all terms in one sweep), then each row horizontally,
             * summing the terms; leaky ReLU and clamp (the gain is in the vertical downsampling taps). */
            for (long g0 = a0; g0 < a1; g0 += group_up) {
                long g1 = min_l(g0 + group_up, a1);
                vertical(vu, n_up, plane, 0, in_h, vbuf, g0, g1, in_stride, in_stride);
                for (long r = g0; r < g1; r++) {
                    float *row = act + (r - a0) * act_stride;
                    for (int j = 0; j < n_up; j++)
                        horizontal_up(&hu[j], &ph_up[j], vbuf[j] + (r - g0) * in_stride, row, work, work_stride, j > 0);
                    for (long c = 0; c < up_w; c++) {
                        float v = row[c] < 0 ? row[c] * slope : row[c];
                        if (has_clamp) v = v > clamp ? clamp : v < -clamp ? -clamp : v;
                        row[c] = v;
                    }
                }
            }

            /* Downsample a group of rows vertically (all terms in one sweep), then each row horizontally,
             * summing the terms, straight into the output plane. */
            for (long g0 = o0; g0 < o1; g0 += group_down) {
                long g1 = min_l(g0 + group_down, o1);
                vertical(vd, n_down, act, a0, a1, dbuf, g0, g1, act_stride, act_width);
                for (long r = g0; r < g1; r++) {
                    const float *rows[MAX_TERMS];
                    for (int j = 0; j < n_down; j++) rows[j] = dbuf[j] + (r - g0) * act_stride;
                    horizontal_down(hd, ph_down, n_down, rows, work, split, split_stride);
                    memcpy(yp + r * out_w, work, out_w * sizeof(float));
                }
            }
        }
    }
    free(mem);
    free(ph_up);
    return 0;
}
