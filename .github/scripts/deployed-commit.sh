#!/usr/bin/env bash
# Finds the commit of this repository that an environment runs, from the GitOps history: the newest
# deploy commit naming ENVIRONMENT in its `Environment:` trailer, with a `Source-Commit:` trailer, that no
# later commit reverted ("This reverts commit <sha>", as `git revert` and GitHub's revert button write).
# In: GITOPS_PATH (a clone with history), ENVIRONMENT; the current directory is this repository.
# Out: the `commit` step output; empty when no deploy is recorded or the commit is not in this repository's
# history (the event then decides what changed).
set -euo pipefail
reverted=$(git -C "$GITOPS_PATH" log --format=%b | grep -oE 'This reverts commit [0-9a-f]{40}' | cut -d' ' -f4 | sort -u || true)
commit=''
deploy=''
while IFS=$'\t' read -r sha source environments; do
  [[ -n "$source" ]] || continue
  grep -qxF "$sha" <<<"$reverted" && continue
  [[ ",${environments// /}," == *",$ENVIRONMENT,"* ]] || continue
  commit=$source
  deploy=$sha
  break
done < <(git -C "$GITOPS_PATH" log --format='%H%x09%(trailers:key=Source-Commit,valueonly,separator=)%x09%(trailers:key=Environment,valueonly,separator=%x2C)')
if [[ -z "$commit" ]]; then
  echo "No deploy to $ENVIRONMENT is recorded in the GitOps history: the event decides what changed."
elif [[ ! "$commit" =~ ^[0-9a-f]{40}$ ]] || ! git cat-file -e "$commit^{commit}" 2>/dev/null; then
  echo "::warning title=Unknown deployed commit::$ENVIRONMENT's GitOps commit $deploy names a source commit this repository does not have; the event decides what changed."
  commit=''
else
  echo "$ENVIRONMENT runs $commit (GitOps commit $deploy): everything changed since then is deployed."
fi
echo "commit=$commit" >>"$GITHUB_OUTPUT"
