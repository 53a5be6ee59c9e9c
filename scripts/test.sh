#!/usr/bin/env bash
# The whole test ladder, in the order a failure is cheapest to find: static checks, unit tests in
# Node, integration tests in workerd, end-to-end tests against `wrangler dev` with real MCP
# clients and a real browser, then a deploy dry run of every Worker. Ends with one totals line.
set -euo pipefail
export TURBO_TELEMETRY_DISABLED=1 WRANGLER_SEND_METRICS=false
cd "$(dirname "$0")/.."

# A Debian package the tests need, installed when missing (as root), else a clear stop.
need_package() {
  local package=$1 why=$2
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "Installing $package for $why (apt-get install $package)…"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
  else
    echo "$package is missing ($why): run 'sudo apt-get install -y $package'." >&2
    exit 1
  fi
}
# Page tests drive Debian's Chromium (the project never downloads a browser of its own; or set
# CHROMIUM_PATH).
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || need_package chromium "the page tests"
# full-oauth-provider's e2e serves dev-idp over HTTPS (an enterprise IdP must be https) with a
# certificate made per run by openssl.
command -v openssl >/dev/null || need_package openssl "the e2e certificate"

rm -rf apps/*/test-results packages/*/test-results compare/test-results rehearse/test-results deploy/test-results workshop/test-results
status=0
failed_steps=()
step() {
  echo
  echo "━━ $1"
  local name=$1
  shift
  "$@" || {
    status=1
    failed_steps+=("$name")
  }
}
step "format" prettier --check --log-level warn .
# Type-aware linting holds one TypeScript program per tsconfig (five per app): past V8's default
# 4 GiB heap with four apps.
step "lint" env NODE_OPTIONS=--max-old-space-size=8192 eslint --max-warnings 0 .
step "types" turbo run types --output-logs=errors-only
# --continue: one red suite must not stop the others, or their results are lost with it.
step "unit tests (Node)" turbo run test:unit --continue
step "integration tests (workerd)" turbo run test:workerd --continue
step "README commands (a Node-20-only PATH, a fresh copy of the tree)" npm run -s test:docs
step "end-to-end tests (wrangler dev, SDK v1 + v2 clients, Chromium)" turbo run test:e2e --concurrency 1 --continue
step "deploy dry run" turbo run deploy:dry --output-logs=errors-only
echo
node scripts/test-totals.ts || status=1
# A step can fail with every test passed (an error outside any test, a lint or type error): name it,
# so a red run never ends on a totals line that reads green.
for name in "${failed_steps[@]}"; do echo "failed step: $name"; done
exit "$status"
