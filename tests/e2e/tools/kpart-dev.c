// SPDX-License-Identifier: GPL-2.0
/*
 * kpart-dev: device checks for the e2e tests (static, in both initramfs
 * images; busybox dd has no O_DIRECT).
 *
 *   kpart-dev write FILE SEED BYTES   write a pattern with O_DIRECT
 *   kpart-dev check FILE SEED BYTES   read it back with O_DIRECT, compare
 *   kpart-dev cfgloop SECONDS FILE... read each PCI config file (the first
 *                                     64 bytes) again and again; count the
 *                                     reads that differ from the first
 *   kpart-dev randread FILE SECONDS   4 KiB O_DIRECT random reads: IOPS
 *
 * The pattern is a function of SEED and the offset, so the host can check
 * the NVMe drive's backing file with the same tool. O_DIRECT is dropped
 * for a regular file on a file system that refuses it. Prints one line;
 * exits 0 only when everything matched.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BLOCK 4096

static uint64_t word_at(uint64_t seed, uint64_t off)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + off;

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	return x;
}

static int open_direct(const char *path, int flags)
{
	int fd = open(path, flags | O_DIRECT);

	if (fd < 0 && errno == EINVAL)
		fd = open(path, flags);
	if (fd < 0)
		fprintf(stderr, "kpart-dev: %s: %s\n", path, strerror(errno));
	return fd;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A byte count with an optional K or M */
static uint64_t size_arg(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	if (*end == 'K' || *end == 'k')
		v <<= 10;
	else if (*end == 'M' || *end == 'm')
		v <<= 20;
	return v;
}

static int pattern(int argc, char **argv, int write_it)
{
	uint64_t seed, bytes, off, i, bad = 0;
	uint64_t *buf;
	int fd;

	if (argc != 5)
		return 2;
	seed = strtoull(argv[3], NULL, 0);
	bytes = size_arg(argv[4]) / BLOCK * BLOCK;
	if (posix_memalign((void **)&buf, BLOCK, BLOCK))
		return 1;
	fd = open_direct(argv[2], write_it ? O_WRONLY : O_RDONLY);
	if (fd < 0)
		return 1;
	for (off = 0; off < bytes; off += BLOCK) {
		ssize_t n;

		if (write_it) {
			for (i = 0; i < BLOCK / 8; i++)
				buf[i] = word_at(seed, off + 8 * i);
			n = pwrite(fd, buf, BLOCK, off);
		} else {
			n = pread(fd, buf, BLOCK, off);
			if (n == BLOCK)
				for (i = 0; i < BLOCK / 8; i++)
					bad += buf[i] != word_at(seed, off + 8 * i);
		}
		if (n != BLOCK) {
			printf("%s: %s at %llu: %s\n", argv[1], argv[2], (unsigned long long)off,
			       n < 0 ? strerror(errno) : "short");
			return 1;
		}
	}
	if (write_it && fsync(fd)) {
		printf("write: fsync %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	close(fd);
	if (write_it)
		printf("write: %llu bytes of pattern %llu to %s\n", (unsigned long long)bytes,
		       (unsigned long long)seed, argv[2]);
	else
		printf("check: %s: %llu bytes of pattern %llu, %llu words differ\n", argv[2],
		       (unsigned long long)bytes, (unsigned long long)seed,
		       (unsigned long long)bad);
	return bad || !bytes;
}

/*
 * The command and status registers (4-7) change under a running driver,
 * a bridge's secondary status (0x1e) with traffic behind it
 */
static int cfg_differs(const unsigned char *a, const unsigned char *b)
{
	return memcmp(a, b, 4) || memcmp(a + 8, b + 8, 0x1e - 8) ||
	       memcmp(a + 0x20, b + 0x20, 0x20);
}

static int cfgloop(int argc, char **argv)
{
	unsigned char ref[64][64], cur[64];
	double end;
	unsigned long reads = 0, bad = 0;
	int i, n = argc - 3, fds[64];

	if (argc < 4 || n > 64)
		return 2;
	end = now() + atof(argv[2]);
	for (i = 0; i < n; i++) {
		fds[i] = open(argv[3 + i], O_RDONLY);
		if (fds[i] < 0 || pread(fds[i], ref[i], 64, 0) != 64) {
			printf("cfgloop: cannot read %s\n", argv[3 + i]);
			return 1;
		}
	}
	while (now() < end)
		for (i = 0; i < n; i++) {
			if (pread(fds[i], cur, 64, 0) != 64 || cfg_differs(cur, ref[i])) {
				if (bad++ < 5)
					printf("cfgloop: %s differs at read %lu\n", argv[3 + i],
					       reads);
			}
			reads++;
		}
	printf("cfgloop: %lu reads of %d functions, %lu mismatches\n", reads, n, bad);
	return bad || !reads;
}

static int randread(int argc, char **argv)
{
	unsigned long n = 0, blocks;
	double start, end;
	void *buf;
	off_t size;
	int fd;

	if (argc != 4)
		return 2;
	fd = open_direct(argv[2], O_RDONLY);
	if (fd < 0 || posix_memalign(&buf, BLOCK, BLOCK))
		return 1;
	size = lseek(fd, 0, SEEK_END);
	blocks = size / BLOCK;
	if (!blocks)
		return 1;
	srandom(1);
	start = now();
	end = start + atof(argv[3]);
	while (now() < end) {
		if (pread(fd, buf, BLOCK, (off_t)(random() % blocks) * BLOCK) != BLOCK) {
			printf("randread: %s: %s\n", argv[2], strerror(errno));
			return 1;
		}
		n++;
	}
	printf("randread: %lu reads in %.2f s: %.0f IOPS\n", n, now() - start, n / (now() - start));
	return 0;
}

int main(int argc, char **argv)
{
	int ret = 2;

	if (argc > 1 && !strcmp(argv[1], "write"))
		ret = pattern(argc, argv, 1);
	else if (argc > 1 && !strcmp(argv[1], "check"))
		ret = pattern(argc, argv, 0);
	else if (argc > 1 && !strcmp(argv[1], "cfgloop"))
		ret = cfgloop(argc, argv);
	else if (argc > 1 && !strcmp(argv[1], "randread"))
		ret = randread(argc, argv);
	if (ret == 2)
		fprintf(stderr, "usage: kpart-dev write|check FILE SEED BYTES | cfgloop SECONDS "
				"FILE... | randread FILE SECONDS\n");
	return ret;
}
