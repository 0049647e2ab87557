#!/usr/bin/env bash
# `npm run pulumi -- ARGS`: the Pulumi CLI built from tools/pulumi/ (scripts/build-pulumi.sh,
# built on first use), with a local file backend under .virtkit/ so nothing is sent anywhere:
#
#   PULUMI_BACKEND_URL        file://<repo>/.virtkit/pulumi-state (unless already set)
#   PULUMI_CONFIG_PASSPHRASE  a fixed development passphrase (unless a passphrase is already set)
#   PULUMI_HOME               <repo>/.virtkit/pulumi-home (plugins, credentials; unless set)
#   PATH                      the toolchain folder first, so the CLI finds the plugins built there
#
# no update checks, and no automatic plugin downloads (they could not succeed offline).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$(bash "$repo/scripts/build-pulumi.sh" --print-dir)"
if [[ ! -x "$dir/pulumi" ]]; then
  echo "pulumi: building the Pulumi CLI first (several minutes, once; cached in $dir)" >&2
  bash "$repo/scripts/build-pulumi.sh" >&2
fi

state="$repo/.virtkit/pulumi-state"
mkdir -p "$state"
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$state}"
if [[ -z "${PULUMI_CONFIG_PASSPHRASE:-}" && -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]]; then
  # A development value: stacks in .virtkit/ hold only local-cluster secrets.
  export PULUMI_CONFIG_PASSPHRASE="virtkit-local-dev"
fi
export PULUMI_HOME="${PULUMI_HOME:-$repo/.virtkit/pulumi-home}"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
# Plugins (language host, resource providers) are found on PATH; the toolchain folder first.
export PATH="$dir:$PATH"
exec "$dir/pulumi" "$@"
