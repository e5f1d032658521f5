#!/usr/bin/env bash
# Runs each released service's `integration-test` command against the environment it was just rolled out
# to, in the service's directory, with BASE_URL set; every service runs even after one fails, and the step
# fails when any did (the job then reverts the environment like a failed smoke test).
# In: MATRIX (detect's matrix JSON), SERVICES (JSON array of the released services), BASE_URL, ENVIRONMENT.
# Out: the `reports` step output, the `test-reports` globs of the services that ran (newline list), and
# `ran` (how many services ran integration tests).
set -euo pipefail
mapfile -t entries < <(jq -c --argjson released "${SERVICES:-[]}" \
  '.include[] | select(."integration-test" != "" and (.service as $s | $released | index($s)))' <<<"$MATRIX")
failed=()
reports=()
for entry in "${entries[@]}"; do
  service=$(jq -r .service <<<"$entry")
  path=$(jq -r .path <<<"$entry")
  command=$(jq -r '."integration-test"' <<<"$entry")
  glob=$(jq -r '."test-reports"' <<<"$entry")
  [[ -n "$glob" ]] && reports+=("$glob")
  echo "::group::Integration tests of ${service//::/: :} against $ENVIRONMENT"
  if (cd -- "$path" && BASE_URL="$BASE_URL" SHIPRAIL_ENVIRONMENT="$ENVIRONMENT" bash -c "$command"); then
    echo "::endgroup::"
  else
    echo "::endgroup::"
    echo "::error title=Integration tests failed::${service//::/: :} in $ENVIRONMENT"
    failed+=("$service")
  fi
done
{
  echo "ran=${#entries[@]}"
  echo 'reports<<SHIPRAIL_EOF'
  [[ ${#reports[@]} -gt 0 ]] && printf '%s\n' "${reports[@]}"
  echo 'SHIPRAIL_EOF'
} >>"$GITHUB_OUTPUT"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "Integration tests failed in $ENVIRONMENT: ${failed[*]}"
  exit 1
fi
echo "Integration tests passed in $ENVIRONMENT: ${#entries[@]} service(s)"
