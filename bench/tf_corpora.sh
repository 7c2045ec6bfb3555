#!/usr/bin/env bash
# Extract the Terraform corpora (bench/tf-tuning.txt, bench/tf-heldout.txt; the speed corpora
# terraform-aws-eks, -rds and -security-group are in the tuning list) from `fetch` snapshots into
# bench/.work/tf/<owner>__<name>/ as plain trees (git archive of the commit listed, or HEAD when
# the list says HEAD). Measures nothing.
#
#   bash bench/tf_corpora.sh            # every list
#   bash bench/tf_corpora.sh LIST...    # only these lists
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/.work/tf"
mkdir -p "$out"
lists=("$@")
((${#lists[@]})) || lists=("$here/tf-tuning.txt" "$here/tf-heldout.txt")
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
    printf '%-52s %s %6d files %5d .tf\n' "$repo" "$(git -C "$src" rev-parse --short "${commit:-HEAD}")" \
      "$(find "$dest" -type f | wc -l)" "$(find "$dest" -type f -name '*.tf' | wc -l)"
  done <"$list"
done
