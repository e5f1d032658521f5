#!/usr/bin/env bash
# Writes the pull request's one pipeline comment, or updates it in place: a row per changed service with
# its tests, coverage, image digest and vulnerabilities. The comment is found by its first line, a marker.
# In: GITHUB_TOKEN, GITHUB_API_URL, REPOSITORY, PULL_REQUEST, HEAD_SHA, MATRIX (detect's matrix), RUN_URL;
# the records tests/<service>.json and release/<service>.json of this run, written after the pull
# request's own code ran: every value is escaped before it reaches the Markdown. The token reaches curl
# through a config file descriptor, never argv. Every request has a deadline; reads are retried.
set -euo pipefail
[[ "$PULL_REQUEST" =~ ^[0-9]+$ ]] || { echo "::error::not a pull request number: $PULL_REQUEST"; exit 1; }
[[ "$REPOSITORY" =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]] || { echo "::error::not owner/name: $REPOSITORY"; exit 1; }
marker='<!-- shiprail:pipeline -->'
shopt -s nullglob
tests=(tests/*.json)
builds=(release/*.json)
body=$(jq -n -r --arg marker "$marker" --arg sha "${HEAD_SHA:0:7}" --arg run "$RUN_URL" --argjson matrix "$MATRIX" \
  --slurpfile tests <(cat /dev/null "${tests[@]}") --slurpfile builds <(cat /dev/null "${builds[@]}") '
  def cell: tostring | gsub("[|<>`\\r\\n]"; " ");
  def by_service($records): reduce $records[] as $r ({}; .[$r.service] = $r);
  (by_service($tests)) as $t | (by_service($builds)) as $b |
  def tests_cell($r):
    if $r == null then "–"
    elif $r.outcome == "skipped" then "no tests"
    elif $r.outcome == "success" then "✅ \(if $r.tests == "" then "passed" else "\($r.tests | cell) passed" end)"
    elif $r.tests != "" then "❌ \(($r.failures | tonumber? // 0) + ($r.errors | tonumber? // 0)) failed of \($r.tests | cell)"
    else "❌ failed" end;
  def coverage_cell($r): if $r == null or $r.coverage == "" then "–" else "\($r.coverage) %" end;
  def image_cell($r): if $r == null then "not built" else "`\($r.digest[0:19] | cell)…`" end;
  def counts($c): [("CRITICAL", "HIGH") as $s | ($c[$s] | tonumber? // 0) as $n | select($n > 0) | "\($n) \($s | ascii_downcase)"] | join(", ");
  def scan_cell($r):
    if $r == null or $r.scan.passed == "" then "not scanned"
    elif $r.scan.passed == "true" then "✅ \(counts($r.scan.counts) | if . == "" then "none blocking" else . + " (allowed)" end)"
    else "❌ \(counts($r.scan.counts) | if . == "" then "blocked" else . end)" end;
  [$marker,
   "### Pipeline for \($sha)",
   "",
   "| Service | Tests | Coverage | Image | Vulnerabilities |",
   "| --- | --- | --- | --- | --- |",
   ($matrix.include[] | .service as $s |
     "| \($s | cell) | \(tests_cell($t[$s])) | \(coverage_cell($t[$s]) | cell) | \(image_cell($b[$s])) | \(scan_cell($b[$s])) |"),
   "",
   "Nothing was pushed or deployed: pull requests are tested, built and scanned only. [Run](\($run))"
  ] | join("\n")')
printf '%s\n' "$body"
api() {
  curl --silent --show-error --fail --max-time 20 \
    --header 'Accept: application/vnd.github+json' --header 'X-GitHub-Api-Version: 2022-11-28' \
    --config <(printf 'header = "Authorization: Bearer %s"\n' "$GITHUB_TOKEN") "$@"
}
comments="$GITHUB_API_URL/repos/$REPOSITORY/issues/$PULL_REQUEST/comments"
existing=''
for page in $(seq 1 20); do
  listed=$(api --retry 3 --retry-delay 2 "$comments?per_page=100&page=$page")
  existing=$(jq -r --arg marker "$marker" '[.[] | select(.body | startswith($marker))][0].id // empty' <<<"$listed")
  [[ -n "$existing" || $(jq length <<<"$listed") -lt 100 ]] && break
done
payload=$(jq -n --arg body "$body" '{body: $body}')
if [[ -n "$existing" ]]; then
  api --retry 3 --retry-delay 2 --request PATCH --data-binary @- --output /dev/null \
    "$GITHUB_API_URL/repos/$REPOSITORY/issues/comments/$existing" <<<"$payload"
  echo "Updated the pipeline comment on #$PULL_REQUEST."
else
  api --request POST --data-binary @- --output /dev/null "$comments" <<<"$payload"
  echo "Commented on #$PULL_REQUEST."
fi
