#!/usr/bin/env bash
# The Action's cache key step: one hash over everything the cached leaselint binary is built
# from (Cargo.toml, Cargo.lock, src/, rules/) and over the Action itself (action.yml and these
# scripts), so a new commit of the Action never reuses a binary built from older sources.
#
# `hashFiles()` cannot do this: it only sees files inside GITHUB_WORKSPACE, and an Action used
# from another repository is checked out outside it (under the runner's _actions directory), so
# the key would silently stay the same.
#
# Input: ACTION_PATH (the Action's checkout). Output: `hash` in GITHUB_OUTPUT (stdout without it).
set -eo pipefail
cd "$ACTION_PATH"
if command -v sha256sum >/dev/null 2>&1; then sum=(sha256sum); else sum=(shasum -a 256); fi # macOS
hash=$(
  find action.yml Cargo.toml Cargo.lock src rules .github/action -type f -print0 \
    | LC_ALL=C sort -z \
    | xargs -0 "${sum[@]}" \
    | "${sum[@]}" \
    | cut -c1-32
)
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  echo "hash=$hash" >> "$GITHUB_OUTPUT"
else
  echo "hash=$hash"
fi
