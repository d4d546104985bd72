// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * One bpfmap_prog_record per BPF program, each followed by the ids of
 * the maps the program uses.
 */
#include "kernel_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "records.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("iter/bpf_prog")
int dump_bpf_prog(struct bpf_iter__bpf_prog *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct bpf_prog *prog = ctx->prog;
	struct bpfmap_prog_record rec = {};
	struct bpf_prog_aux *aux;
	struct bpf_map **used_maps;
	__u32 nr_maps, i;

	if (!prog)
		return 0;
	aux = prog->aux;

	rec.id = aux->id;
	rec.type = prog->type;
	rec.jited_len = prog->jited_len;
	rec.xlated_len = prog->len * 8; /* sizeof(struct bpf_insn) */
	rec.pages = prog->pages;
	rec.load_time_ns = aux->load_time;
	if (bpf_core_field_exists(aux->verified_insns)) {
		rec.verified_insns = BPF_CORE_READ(aux, verified_insns);
		rec.flags |= BPFMAP_PROG_HAS_VERIFIED_INSNS;
	}
	/* Direct loads: the kernel zero-fills the name, so no string helper is needed. */
	__builtin_memcpy(rec.tag, prog->tag, sizeof(rec.tag));
	__builtin_memcpy(rec.name, aux->name, sizeof(rec.name));

	nr_maps = aux->used_map_cnt;
	if (nr_maps > BPFMAP_MAX_PROG_MAPS) {
		nr_maps = BPFMAP_MAX_PROG_MAPS;
		rec.flags |= BPFMAP_PROG_MAPS_TRUNCATED;
	}
	rec.nr_map_ids = nr_maps;
	used_maps = aux->used_maps;

	bpf_seq_write(seq, &rec, sizeof(rec));

	/* A slot read as NULL (the array changing under us) is written as id 0. */
	for (i = 0; i < BPFMAP_MAX_PROG_MAPS && i < rec.nr_map_ids; i++) {
		struct bpf_map *map = NULL;
		__u32 map_id = 0;

		bpf_probe_read_kernel(&map, sizeof(map), &used_maps[i]);
		if (map)
			map_id = BPF_CORE_READ(map, id);
		bpf_seq_write(seq, &map_id, sizeof(map_id));
	}
	return 0;
}
