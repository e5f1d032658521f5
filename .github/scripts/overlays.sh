#!/usr/bin/env bash
# Expands the overlay templates of the deploy workflow for one environment.
# In: TEMPLATES (newline list with {environment} and {service}), SERVICES (JSON array), TARGET.
# Out: the `overlays` step output, one directory per line, without duplicates.
set -euo pipefail
mapfile -t services < <(jq -r '.[]' <<<"${SERVICES:-[]}")
declare -A seen=()
overlays=()
while IFS= read -r template; do
  template="${template#"${template%%[![:space:]]*}"}"
  template="${template%"${template##*[![:space:]]}"}"
  [[ -z "$template" || "$template" == \#* ]] && continue
  template="${template//\{environment\}/$TARGET}"
  if [[ "$template" == *"{service}"* ]]; then
    for service in "${services[@]}"; do
      overlay="${template//\{service\}/$service}"
      [[ -n "${seen[$overlay]:-}" ]] || { seen[$overlay]=1; overlays+=("$overlay"); }
    done
  else
    [[ -n "${seen[$template]:-}" ]] || { seen[$template]=1; overlays+=("$template"); }
  fi
done <<<"$TEMPLATES"
if [[ ${#overlays[@]} -eq 0 ]]; then
  echo "::error title=No overlays::the overlays input expands to nothing for $TARGET"
  exit 1
fi
{
  echo 'overlays<<SHIPRAIL_EOF'
  printf '%s\n' "${overlays[@]}"
  echo 'SHIPRAIL_EOF'
} >>"$GITHUB_OUTPUT"
printf 'Overlays for %s:\n' "$TARGET"
printf '  %s\n' "${overlays[@]}"
