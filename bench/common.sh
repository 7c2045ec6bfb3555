# Sourced by the bench scripts: which soc2lint is measured ($SOC2LINT, split into array S).
# shellcheck shell=bash

read -r -a S <<<"${SOC2LINT:-soc2lint}"
if ! command -v "${S[0]}" >/dev/null 2>&1; then
  echo "$(basename "$0"): '${S[0]}' not found; set SOC2LINT=/path/to/soc2lint" >&2
  exit 2
fi

# The package directory and a digest of its sources and rules, so that numbers taken from an
# editable install of a changing work tree can be told apart.
soc2lint_source_id() {
  local py
  py="$(dirname "$(command -v "${S[0]}")")/python"
  [[ -x "$py" ]] || { echo "unknown (no python next to ${S[0]})"; return; }
  "$py" "$(dirname "${BASH_SOURCE[0]}")/source_id.py" 2>/dev/null || echo "unknown"
}
