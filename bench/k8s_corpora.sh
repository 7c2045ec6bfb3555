#!/usr/bin/env bash
# Extract the Kubernetes corpora (bench/k8s-tuning.txt, bench/k8s-heldout.txt, bench/k8s-heldout2.txt and the speed corpus
# kubernetes/examples) from `fetch` snapshots into bench/.work/k8s/<owner>__<name>/ as plain trees
# (git archive of the commit listed, or HEAD when the list says HEAD). Measures nothing.
#
#   bash bench/k8s_corpora.sh            # every list
#   bash bench/k8s_corpora.sh LIST...    # only these lists
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/.work/k8s"
mkdir -p "$out"
lists=("$@")
((${#lists[@]})) || lists=("$here/k8s-speed.txt" "$here/k8s-tuning.txt" "$here/k8s-heldout.txt" "$here/k8s-heldout2.txt")
for list in "${lists[@]}"; do
  while read -r repo commit _; do
    [[ -z "$repo" || "$repo" == \#* ]] && continue
    src="/work/.mirror/${repo/\//+}/repo"
    dest="$out/${repo/\//__}"
    if [[ ! -d "$src" ]]; then echo "missing snapshot: $src (fetch github:$repo first)"; continue; fi
    rm -rf "$dest" && mkdir -p "$dest"
    if ! git -C "$src" archive "${commit:-HEAD}" 2>/dev/null | tar -x -C "$dest" 2>/dev/null; then
      # a snapshot may lack its largest blobs (images): copy file by file, skipping those
      rm -rf "$dest" && mkdir -p "$dest"
      git -C "$src" ls-tree -r -z "${commit:-HEAD}" | while IFS=$'\t' read -r -d '' meta path; do
        read -r mode type sha <<<"$meta"
        [[ "$type" == blob && "$mode" != 120000 ]] || continue
        mkdir -p "$dest/$(dirname "$path")"
        git -C "$src" cat-file blob "$sha" >"$dest/$path" 2>/dev/null || rm -f "$dest/$path"
      done
    fi
    printf '%-45s %s %6d files\n' "$repo" "$(git -C "$src" rev-parse --short "${commit:-HEAD}")" \
      "$(find "$dest" -type f | wc -l)"
  done < "$list"
done
