#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Where a scrape's user-space CPU goes: the exporter under callgrind,
# scraped ROUNDS times once every map has its memory figure, over MAPS
# maps and MAPS/10 programs (tests/bench/objects.c). Instruction counts,
# unlike seconds, do not depend on what else the machine is doing.
#
#   profile.sh BIN OBJECTS [MAPS] [ROUNDS]     (as root)
#
# Prints instructions per scrape, in all and per part of the scrape.

set -eu

BIN=$1
OBJECTS=$2
MAPS=${3:-10000}
ROUNDS=${4:-5}
OUT=$(mktemp -d)
PORT=$((20000 + RANDOM % 20000))
URL=http://127.0.0.1:$PORT/metrics
EXPORTER=''

finish() {
	[[ -n $EXPORTER ]] && kill "$EXPORTER" 2>/dev/null && wait "$EXPORTER" 2>/dev/null
	exec {OBJ[1]}>&- 2>/dev/null || true
	wait 2>/dev/null
	rm -rf "$OUT"
}
trap finish EXIT

CG=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
coproc OBJ { "$OBJECTS" "p$RANDOM" "$MAPS" $((MAPS / 10)) 4 $CG; }
read -r ready <&"${OBJ[0]}"
[[ $ready == ready ]] || { echo "objects did not start" >&2; exit 1; }

valgrind --tool=callgrind --callgrind-out-file="$OUT/cg" "$BIN" \
	--web.listen-address=127.0.0.1:$PORT --log.level=error 2>"$OUT/valgrind.log" &
EXPORTER=$!
for _ in $(seq 300); do curl -sf -o /dev/null "$URL" && break; sleep 1; done
# Steady state: every map's memory figure read (the cache reads a bounded number per scrape).
for _ in $(seq 100); do
	curl -sf "$URL" | grep -q '^bpfmap_exporter_map_memory_maps{state="unknown"} 0$' && break
done
callgrind_control -z "$EXPORTER" >/dev/null 2>&1
for _ in $(seq "$ROUNDS"); do curl -sf -o "$OUT/body" "$URL"; done
callgrind_control -d "$EXPORTER" >/dev/null 2>&1
bytes=$(stat -c %s "$OUT/body")

# Inclusive counts of the scrape's parts, divided by the rounds.
callgrind_annotate --inclusive=yes --auto=no --threshold=100 "$OUT"/cg.* 2>/dev/null |
	awk -v rounds="$ROUNDS" -v bytes="$bytes" -v maps="$MAPS" '
	function part(fn, name) { if ($0 ~ (":" fn "(\\.[a-z0-9.]+)? \\[")) { gsub(",", "", $1); n[name] = $1 / rounds } }
	/PROGRAM TOTALS/ { gsub(",", "", $1); total = $1 / rounds }
	{
		part("exporter__scrape", "scrape (all collectors)")
		part("collect_owners", "  owners")
		part("collect_programs", "  programs")
		part("collect_maps", "  maps")
		part("collect_links", "  links")
		part("collect_self", "  self")
		part("put_labels", "  of which: label pairs written")
		part("format_double", "  of which: floating-point values formatted")
		part("scrape_stream__read", "HTTP: body copied to the connection")
	}
	END {
		printf "%d maps, %d programs, %.0f KiB response: Minstr per scrape\n", maps, maps / 10, bytes / 1024
		printf "%-45s %8.1f\n", "all of the exporter", total / 1e6
		split("scrape (all collectors)|  owners|  programs|  maps|  links|  self|  of which: label pairs written|  of which: floating-point values formatted|HTTP: body copied to the connection", order, "|")
		for (i = 1; i in order; i++)
			if (order[i] in n)
				printf "%-45s %8.1f\n", order[i], n[order[i]] / 1e6
	}'
