// SPDX-License-Identifier: GPL-2.0
/*
 * kpart-ping: user-space end of a kpart channel's user messages, for the
 * end-to-end tests. Built statically (no libc in the initramfs images).
 *
 *   kpart-ping echo DEV                 send every message back (app side)
 *   kpart-ping ping DEV COUNT [SIZE]    COUNT round trips, latency p50/p99
 *   kpart-ping stream DEV COUNT [WIN]   COUNT messages of varying size, up
 *                                       to WIN in flight, checked in order
 *                                       and byte for byte on return
 *
 * Each read() and write() is one whole message (at most 4096 bytes).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_MSG 4096

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static int open_dev(const char *dev)
{
	int fd = open(dev, O_RDWR);

	if (fd < 0) {
		fprintf(stderr, "kpart-ping: %s: %s\n", dev, strerror(errno));
		exit(1);
	}
	return fd;
}

static void xwrite(int fd, const void *buf, size_t len)
{
	ssize_t n = write(fd, buf, len);

	if (n != (ssize_t)len) {
		fprintf(stderr, "kpart-ping: write %zu: %zd (%s)\n", len, n,
			n < 0 ? strerror(errno) : "short");
		exit(1);
	}
}

static ssize_t xread(int fd, void *buf)
{
	ssize_t n = read(fd, buf, MAX_MSG);

	if (n < 0) {
		fprintf(stderr, "kpart-ping: read: %s\n", strerror(errno));
		exit(1);
	}
	return n;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Payload of message @seq: its number, then bytes derived from it */
static size_t fill(uint8_t *buf, uint32_t seq)
{
	size_t len = 8 + (seq * 2654435761u) % (MAX_MSG - 8 + 1);
	size_t i;

	memcpy(buf, &seq, 4);
	memcpy(buf + 4, &(uint32_t){(uint32_t)len}, 4);
	for (i = 8; i < len; i++)
		buf[i] = (uint8_t)(seq * 31 + i * 7);
	return len;
}

int main(int argc, char **argv)
{
	static uint8_t buf[MAX_MSG], want[MAX_MSG];
	const char *mode = argc > 1 ? argv[1] : "";
	int fd;

	if (argc < 3) {
		fprintf(stderr, "usage: kpart-ping echo|ping|stream DEV [COUNT [SIZE|WINDOW]]\n");
		return 2;
	}
	fd = open_dev(argv[2]);

	if (!strcmp(mode, "echo")) {
		unsigned long n = 0;

		printf("ECHO: serving %s\n", argv[2]);
		fflush(stdout);
		for (;;) {
			ssize_t len = xread(fd, buf);

			xwrite(fd, buf, len);
			n++;
		}
	}
	if (!strcmp(mode, "ping")) {
		unsigned long count = argc > 3 ? strtoul(argv[3], NULL, 0) : 1000;
		size_t size = argc > 4 ? strtoul(argv[4], NULL, 0) : 16;
		uint64_t *lat = calloc(count, sizeof(*lat)), t0, total = 0;
		unsigned long i;

		if (!lat || size < 4 || size > MAX_MSG || !count)
			return 2;
		memset(buf, 0xa5, size);
		for (i = 0; i < count; i++) {
			uint32_t seq = i;
			ssize_t n;

			memcpy(buf, &seq, 4);
			t0 = now_ns();
			xwrite(fd, buf, size);
			n = xread(fd, want);
			lat[i] = now_ns() - t0;
			total += lat[i];
			if (n != (ssize_t)size || memcmp(buf, want, size)) {
				printf("PING: FAIL at %lu: got %zd bytes\n", i, n);
				return 1;
			}
		}
		qsort(lat, count, sizeof(*lat), cmp_u64);
		printf("PING: n=%lu size=%zu ok p50_us=%.1f p99_us=%.1f min_us=%.1f max_us=%.1f "
		       "mean_us=%.1f\n",
		       count, size, lat[count / 2] / 1e3, lat[count * 99 / 100] / 1e3, lat[0] / 1e3,
		       lat[count - 1] / 1e3, total / 1e3 / count);
		return 0;
	}
	if (!strcmp(mode, "stream")) {
		unsigned long count = argc > 3 ? strtoul(argv[3], NULL, 0) : 10000;
		unsigned long win = argc > 4 ? strtoul(argv[4], NULL, 0) : 32;
		unsigned long sent = 0, got = 0;
		uint64_t bytes = 0, t0 = now_ns();

		while (got < count) {
			ssize_t n;
			size_t len;

			while (sent < count && sent - got < win) {
				len = fill(buf, sent);
				xwrite(fd, buf, len);
				bytes += len;
				sent++;
			}
			n = xread(fd, buf);
			len = fill(want, got);
			if (n != (ssize_t)len || memcmp(buf, want, len)) {
				uint32_t seq = 0;

				if (n >= 4)
					memcpy(&seq, buf, 4);
				printf("STREAM: FAIL message %lu: got %zd bytes seq %u, want %zu "
				       "bytes\n",
				       got, n, seq, len);
				return 1;
			}
			got++;
		}
		printf("STREAM: n=%lu ok in order and intact, %llu bytes each way, %.2f s\n", count,
		       (unsigned long long)bytes, (now_ns() - t0) / 1e9);
		return 0;
	}
	fprintf(stderr, "kpart-ping: unknown mode %s\n", mode);
	return 2;
}
