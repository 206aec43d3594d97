/* SPDX-License-Identifier: MIT */
/* Figures the benchmarks print: median [min-max] of a set of samples. */
#ifndef KPART_BENCH_STATS_H
#define KPART_BENCH_STATS_H

struct spread {
	double med, min, max;
};

/* Median and range of the @n (at least 1) figures at @v, which stay as they are. */
struct spread spread_of(const double *v, int n);

#endif
