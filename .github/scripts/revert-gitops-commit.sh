#!/usr/bin/env bash
# Reverts one commit on the GitOps branch and pushes, retrying when the branch moved meanwhile.
# In: GITOPS_REPOSITORY (owner/name), GITOPS_BRANCH (empty: default branch), GITOPS_TOKEN, COMMIT,
# SERVER_URL. The token reaches git only as an HTTP header through the environment: never in argv,
# never in .git/config.
set -euo pipefail
echo "::add-mask::$GITOPS_TOKEN"
basic=$(printf 'x-access-token:%s' "$GITOPS_TOKEN" | base64 -w0)
echo "::add-mask::$basic"
export GIT_CONFIG_COUNT=1
export GIT_CONFIG_KEY_0="http.${SERVER_URL}/.extraheader"
export GIT_CONFIG_VALUE_0="AUTHORIZATION: basic $basic"
workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
branch_args=()
[[ -n "${GITOPS_BRANCH:-}" ]] && branch_args=(--branch "$GITOPS_BRANCH")
git clone --quiet --depth 50 "${branch_args[@]}" "${SERVER_URL}/${GITOPS_REPOSITORY}.git" "$workdir/gitops"
cd "$workdir/gitops"
git config user.name "github-actions[bot]"
git config user.email "41898282+github-actions[bot]@users.noreply.github.com"
branch=$(git rev-parse --abbrev-ref HEAD)
for attempt in 1 2 3 4 5; do
  # The revert is a deploy commit too: when the GitOps repository is this repository, it starts no deploy.
  git revert --no-edit "$COMMIT"
  git -c commit.gpgsign=false commit --quiet --amend --no-edit --trailer "Shiprail-Deploy: revert"
  if git push --quiet origin "HEAD:$branch"; then
    echo "Reverted $COMMIT on $branch: Argo CD or Flux bring back the previous images."
    exit 0
  fi
  echo "The branch moved; fetching and trying again ($attempt/5)."
  git fetch --quiet --depth 50 origin "$branch"
  git reset --quiet --hard FETCH_HEAD
  sleep $((attempt * 2 + RANDOM % 3))
done
echo "::error title=Rollback failed::could not push the revert of $COMMIT to $branch"
exit 1
