// SPDX-License-Identifier: GPL-2.0
/*
 * kpart-priv: do one thing to the kpart control filesystem or netlink
 * family with less privilege than root normally has (the privilege e2e
 * test; busybox has no capsh or setpriv).
 *
 *   kpart-priv [-u UID] [-d CAPS] [-a CAPS] CMD ARGS...
 *
 *   -u UID   become UID (all capabilities go with it) before CMD
 *   -d CAPS  drop these capabilities before CMD (a comma list of sys_boot,
 *            sys_admin, net_admin, dac_override, dac_read_search, all)
 *   -a CAPS  drop these after CMD's file or socket is open, before it is
 *            used: the kernel must check at write time, not only at open
 *
 *   write FILE VALUE           one write() of VALUE
 *   writenul FILE HEAD TAIL    one write() of HEAD, a NUL byte, TAIL
 *   read FILE                  read FILE to stdout
 *   mkdir DIR | rmdir DIR
 *   join                       join the kpart netlink family's events group
 *
 * Prints "ok" or "error: TEXT (errno N)"; exit status 0 or 1 (2: usage or
 * a failure of the tool itself, which the test counts as a failure).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "kpart-priv: %s: %s\n", what, strerror(errno));
	exit(2);
}

static uint64_t cap_bits(const char *list)
{
	static const struct {
		const char *name;
		int cap;
	} caps[] = {
	    {"sys_boot", CAP_SYS_BOOT},
	    {"sys_admin", CAP_SYS_ADMIN},
	    {"net_admin", CAP_NET_ADMIN},
	    {"dac_override", CAP_DAC_OVERRIDE},
	    {"dac_read_search", CAP_DAC_READ_SEARCH},
	};
	char *copy = strdup(list), *tok, *save = NULL;
	uint64_t bits = 0;
	size_t i;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "all")) {
			bits = ~0ULL;
			continue;
		}
		for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
			if (!strcmp(tok, caps[i].name))
				break;
		if (i == sizeof(caps) / sizeof(caps[0])) {
			fprintf(stderr, "kpart-priv: unknown capability '%s'\n", tok);
			exit(2);
		}
		bits |= 1ULL << caps[i].cap;
	}
	free(copy);
	return bits;
}

/* Drop @bits from the effective, permitted and inheritable sets */
static void drop(uint64_t bits)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	int i;

	if (!bits)
		return;
	if (syscall(SYS_capget, &hdr, d))
		die("capget");
	for (i = 0; i < 2; i++) {
		uint32_t keep = ~(uint32_t)(bits >> (32 * i));

		d[i].effective &= keep;
		d[i].permitted &= keep;
		d[i].inheritable &= keep;
	}
	if (syscall(SYS_capset, &hdr, d))
		die("capset");
}

static int result(int ok)
{
	if (ok) {
		printf("ok\n");
		return 0;
	}
	printf("error: %s (errno %d)\n", strerror(errno), errno);
	return 1;
}

/* The events group's id, from the generic netlink controller */
static int resolve_group(int fd)
{
	struct {
		struct nlmsghdr n;
		struct genlmsghdr g;
		char buf[256];
	} req = {0};
	char resp[8192];
	struct nlattr *a;
	ssize_t len;
	int rem;

	req.n.nlmsg_type = GENL_ID_CTRL;
	req.n.nlmsg_flags = NLM_F_REQUEST;
	req.g.cmd = CTRL_CMD_GETFAMILY;
	req.g.version = 1;
	a = (struct nlattr *)req.buf;
	a->nla_type = CTRL_ATTR_FAMILY_NAME;
	a->nla_len = NLA_HDRLEN + sizeof("kpart");
	memcpy((char *)a + NLA_HDRLEN, "kpart", sizeof("kpart"));
	req.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN) + NLA_ALIGN(a->nla_len);
	if (send(fd, &req, req.n.nlmsg_len, 0) < 0)
		die("send");
	len = recv(fd, resp, sizeof(resp), 0);
	if (len < (ssize_t)NLMSG_LENGTH(GENL_HDRLEN))
		die("recv");
	if (((struct nlmsghdr *)resp)->nlmsg_type == NLMSG_ERROR) {
		fprintf(stderr, "kpart-priv: no kpart netlink family\n");
		exit(2);
	}
	a = (struct nlattr *)(resp + NLMSG_LENGTH(GENL_HDRLEN));
	rem = ((struct nlmsghdr *)resp)->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	for (; rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= rem;
	     rem -= NLA_ALIGN(a->nla_len), a = (void *)((char *)a + NLA_ALIGN(a->nla_len))) {
		struct nlattr *grp;
		int grem;

		if ((a->nla_type & NLA_TYPE_MASK) != CTRL_ATTR_MCAST_GROUPS)
			continue;
		grp = (struct nlattr *)((char *)a + NLA_HDRLEN);
		grem = a->nla_len - NLA_HDRLEN;
		for (; grem >= NLA_HDRLEN && grp->nla_len >= NLA_HDRLEN && grp->nla_len <= grem;
		     grem -= NLA_ALIGN(grp->nla_len),
		     grp = (void *)((char *)grp + NLA_ALIGN(grp->nla_len))) {
			struct nlattr *x = (struct nlattr *)((char *)grp + NLA_HDRLEN);
			int xrem = grp->nla_len - NLA_HDRLEN, id = -1;
			const char *name = NULL;

			for (; xrem >= NLA_HDRLEN && x->nla_len >= NLA_HDRLEN && x->nla_len <= xrem;
			     xrem -= NLA_ALIGN(x->nla_len),
			     x = (void *)((char *)x + NLA_ALIGN(x->nla_len))) {
				if (x->nla_type == CTRL_ATTR_MCAST_GRP_ID)
					id = *(uint32_t *)((char *)x + NLA_HDRLEN);
				else if (x->nla_type == CTRL_ATTR_MCAST_GRP_NAME)
					name = (char *)x + NLA_HDRLEN;
			}
			if (name && !strcmp(name, "events") && id >= 0)
				return id;
		}
	}
	fprintf(stderr, "kpart-priv: no events group in the kpart family\n");
	exit(2);
}

int main(int argc, char **argv)
{
	uint64_t before = 0, after = 0;
	const char *cmd;
	int opt, fd, uid = -1;

	while ((opt = getopt(argc, argv, "+u:d:a:")) != -1) {
		switch (opt) {
		case 'u':
			uid = atoi(optarg);
			break;
		case 'd':
			before |= cap_bits(optarg);
			break;
		case 'a':
			after |= cap_bits(optarg);
			break;
		default:
			return 2;
		}
	}
	if (optind >= argc)
		return 2;
	cmd = argv[optind++];
	argc -= optind;
	argv += optind;
	drop(before);
	if (uid >= 0 && setuid(uid))
		die("setuid");

	if (!strcmp(cmd, "write") && argc == 2) {
		fd = open(argv[0], O_WRONLY);
		if (fd < 0)
			return result(0);
		drop(after);
		return result(write(fd, argv[1], strlen(argv[1])) == (ssize_t)strlen(argv[1]));
	}
	if (!strcmp(cmd, "writenul") && argc == 3) {
		size_t h = strlen(argv[1]), t = strlen(argv[2]);
		char *buf = malloc(h + 1 + t);

		memcpy(buf, argv[1], h);
		buf[h] = '\0';
		memcpy(buf + h + 1, argv[2], t);
		fd = open(argv[0], O_WRONLY);
		if (fd < 0)
			return result(0);
		drop(after);
		return result(write(fd, buf, h + 1 + t) == (ssize_t)(h + 1 + t));
	}
	if (!strcmp(cmd, "read") && argc == 1) {
		char buf[4096];
		ssize_t n;

		fd = open(argv[0], O_RDONLY);
		if (fd < 0)
			return result(0);
		drop(after);
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			fwrite(buf, 1, n, stdout);
		return result(n == 0);
	}
	if (!strcmp(cmd, "mkdir") && argc == 1)
		return result(mkdir(argv[0], 0755) == 0);
	if (!strcmp(cmd, "rmdir") && argc == 1)
		return result(rmdir(argv[0]) == 0);
	if (!strcmp(cmd, "join") && argc == 0) {
		int grp;

		fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC);
		if (fd < 0)
			die("socket");
		grp = resolve_group(fd);
		drop(after);
		return result(
		    setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)) == 0);
	}
	fprintf(stderr, "kpart-priv: bad command line\n");
	return 2;
}
