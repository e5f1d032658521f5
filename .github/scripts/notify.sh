#!/usr/bin/env bash
# One message to the team's channel about what this run did to the environments, as an incoming-webhook
# POST of `{"text": ...}` (the format Slack and Microsoft Teams accept): production updated, a canary not
# promoted, a deploy job that failed. Nothing is sent when none of these happened or no webhook is set.
# A message that cannot be delivered is a warning: the deploy's own result stands.
# In: NOTIFY_WEBHOOK_URL, REPOSITORY, RUN_URL, IMAGES (newline list), DEV, MIDDLE, CANARY, PRODUCTION
# (job results), CANARY_DECISION; DEV_NAME, CANARY_NAME, PRODUCTION_NAME: the environments those stages
# deployed to (default the stage's own name); MIDDLE_NAMES: JSON array of the environments between the
# first and the last (one matrix job: its result does not say which of them failed).
# The URL reaches curl through a config file descriptor, never argv.
set -euo pipefail
if [[ -z "${NOTIFY_WEBHOOK_URL:-}" ]]; then
  echo "No NOTIFY_WEBHOOK_URL: no notification."
  exit 0
fi
last=${PRODUCTION_NAME:-production}
lines=()
if [[ "$PRODUCTION" == success ]]; then
  lines+=("${last^} updated: $(tr '\n' ' ' <<<"$IMAGES" | sed 's/ *$//')")
fi
if [[ -n "${CANARY_DECISION:-}" && "$CANARY_DECISION" != pass ]]; then
  lines+=("Canary $CANARY_DECISION: $last is not promoted.")
fi
middle=$(jq -r 'if length == 0 then "" elif length == 1 then .[0] else "one of " + join(", ") end' <<<"${MIDDLE_NAMES:-[]}")
MIDDLE_NAME=${middle:-}
for job in dev middle canary production; do
  variable=${job^^}
  name=${job^^}_NAME
  [[ "${!variable:-}" == failure ]] && lines+=("Deploy to ${!name:-$job} failed.")
done
if [[ ${#lines[@]} -eq 0 ]]; then
  echo "Nothing to notify."
  exit 0
fi
text=$(printf '%s: %s\n' "$REPOSITORY" "${lines[0]}"; printf '%s\n' "${lines[@]:1}"; printf '%s' "$RUN_URL")
payload=$(jq -n --arg text "$text" '{text: $text}')
url=${NOTIFY_WEBHOOK_URL//\\/\\\\}
url=${url//\"/\\\"}
if curl --silent --show-error --fail --max-time 10 --retry 3 --retry-delay 2 --output /dev/null \
  --header 'Content-Type: application/json' --data-binary @- \
  --config <(printf 'url = "%s"\n' "$url") <<<"$payload"; then
  printf 'Notified: %s\n' "${lines[@]}"
else
  echo "::warning title=Notification not delivered::the webhook did not accept the message"
fi
