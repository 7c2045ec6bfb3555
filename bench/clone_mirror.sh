#!/usr/bin/env bash
# Make a normal clone (with a work tree) of a `fetch` snapshot, with every ref of the snapshot:
# branches (as origin/*), tags, and the other namespaces a GitHub snapshot holds (refs/pull/*),
# so that `git log --all` in the clone walks the same commits as in the snapshot.
#
#   bash bench/clone_mirror.sh /work/.mirror/psf+requests/repo bench/.work/repos/requests
#
# A snapshot may lack its largest blobs ("may be listed but absent"); git then cannot pack (clone)
# or diff (`git log -p`) the commits that hold them. The refs that reach a missing blob are left
# out (negative refspecs) and listed. Measures nothing; prints the commit counts of both.
set -euo pipefail
src="${1:?usage: clone_mirror.sh MIRROR_GIT_DIR DEST}"
dest="${2:?usage: clone_mirror.sh MIRROR_GIT_DIR DEST}"

mapfile -t missing < <(git -C "$src" rev-list --all --objects --missing=print | sed -n 's/^?//p')
declare -A skip=()
for blob in "${missing[@]}"; do
  while read -r sha; do
    while read -r ref; do skip[$ref]=1; done < <(git -C "$src" for-each-ref --contains "$sha" --format='%(refname)')
  done < <(git -C "$src" log --all --format=%H --find-object="$blob")
done
if ((${#missing[@]})); then
  echo "snapshot lacks ${#missing[@]} blob(s); left out: ${!skip[*]}"
fi

specs=("+refs/heads/*:refs/remotes/origin/*" "+refs/tags/*:refs/tags/*")
# every namespace other than heads/tags (a clone maps those) into the same name
while read -r ns; do specs+=("+$ns/*:$ns/*"); done < <(git -C "$src" for-each-ref --format='%(refname)' \
  | awk -F/ '$2 != "heads" && $2 != "tags" {print $1 "/" $2}' | sort -u)
for ref in "${!skip[@]}"; do specs+=("^$ref"); done

if [[ ! -d "$dest/.git" ]]; then
  mkdir -p "$(dirname "$dest")"
  git init -q "$dest"
  git -C "$dest" remote add origin "$src"
  git -C "$dest" fetch -q --no-tags origin "${specs[@]}"
  head="$(git -C "$src" symbolic-ref --short HEAD)"
  git -C "$dest" checkout -q -b "$head" "origin/$head"
  git -C "$dest" remote set-head origin "$head" >/dev/null
else
  git -C "$dest" fetch -q --no-tags origin "${specs[@]}"
fi
echo "snapshot: $(git -C "$src" rev-list --all --count) commits; clone: $(git -C "$dest" rev-list --all --count) commits ($dest)"
