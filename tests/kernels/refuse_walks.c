// SPDX-License-Identifier: Apache-2.0
/*
 * Puts the refuse_walks BPF LSM policy in force in a test VM and leaves
 * it there: its link is pinned at the path given, so it outlives this
 * process. Prints "refusing" on success; any error: stderr, exit 1.
 *
 * Usage: refuse_walks PIN_PATH   (bpffs mounted, BPF LSM enabled)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "refuse_walks.skel.h"

int main(int argc, char **argv)
{
	struct refuse_walks *skel = NULL;
	struct bpf_link *link = NULL;
	struct btf *vmlinux;
	int id, err = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: refuse_walks PIN_PATH\n");
		return 2;
	}
	vmlinux = btf__load_vmlinux_btf();
	id = vmlinux ? btf__find_by_name_kind(vmlinux, "bpf_iter_bpf_map_elem", BTF_KIND_FUNC)
		     : -errno;
	btf__free(vmlinux);
	if (id < 0) {
		fprintf(stderr, "refuse_walks: no bpf_iter_bpf_map_elem in the kernel's BTF: %s\n",
			strerror(-id));
		return 1;
	}
	skel = refuse_walks__open();
	if (!skel) {
		fprintf(stderr, "refuse_walks: open: %s\n", strerror(errno));
		return 1;
	}
	skel->rodata->elem_iter_btf_id = (__u32)id;
	if (refuse_walks__load(skel)) {
		fprintf(stderr, "refuse_walks: load: %s (is the BPF LSM enabled?)\n",
			strerror(errno));
		goto out;
	}
	link = bpf_program__attach_lsm(skel->progs.refuse_walks);
	if (!link) {
		fprintf(stderr, "refuse_walks: attach: %s\n", strerror(errno));
		goto out;
	}
	if (bpf_link__pin(link, argv[1])) {
		fprintf(stderr, "refuse_walks: pin at %s: %s\n", argv[1], strerror(errno));
		goto out;
	}
	printf("refusing\n");
	err = 0;
out:
	bpf_link__destroy(link); /* the pin keeps it in force */
	refuse_walks__destroy(skel);
	return err;
}
