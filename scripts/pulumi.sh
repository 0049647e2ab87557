#!/usr/bin/env bash
# `npm run pulumi -- ARGS`: the Pulumi CLI built from tools/pulumi/, with the Pulumi YAML
# language host and the Kubernetes provider plugin (scripts/build-pulumi.sh, built on first use),
# and a local file backend under .virtkit/ so nothing is sent anywhere:
#
#   PULUMI_BACKEND_URL        file://<repo>/.virtkit/pulumi-state (unless already set)
#   PULUMI_CONFIG_PASSPHRASE  a fixed development passphrase (unless a passphrase is already set)
#   PULUMI_HOME               <repo>/.virtkit/pulumi-home (plugins, credentials; unless set)
#
# no update checks, and no automatic plugin downloads (they could not succeed offline).
#
# The CLI finds pulumi-language-yaml beside itself (where Pulumi keeps the language hosts it
# bundles). The Kubernetes provider is installed into PULUMI_HOME's plugin cache under its
# version (`pulumi plugin install --file`, once per PULUMI_HOME and build), so the engine picks it
# by version, as for a downloaded plugin. Not on PATH: the engine would run a PATH plugin for
# any version asked, warning about it at every step.
#
# A `runtime: nodejs` project's up / preview / refresh / destroy (and their aliases), with the
# verb first, runs through scripts/pulumi-inline.ts when no pulumi-language-nodejs is on PATH:
# the Automation API runs the program in its own in-process language host and the same CLI
# engine does the rest, printing what the CLI prints. Every other verb (stack, config, ...) and
# every other runtime goes to the CLI.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$(bash "$repo/scripts/build-pulumi.sh" --print-dir)"
for name in $(bash "$repo/scripts/build-pulumi.sh" --binaries); do
  if [[ ! -x "$dir/$name" ]]; then
    echo "pulumi: building the Pulumi toolchain first (several minutes, once; cached in $dir)" >&2
    bash "$repo/scripts/build-pulumi.sh" >&2
    break
  fi
done

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

k8s_version="$(bash "$repo/scripts/build-pulumi.sh" --print-k8s-version)"
installed="$PULUMI_HOME/plugins/resource-kubernetes-$k8s_version/pulumi-resource-kubernetes"
if [[ ! -x "$installed" || "$dir/pulumi-resource-kubernetes" -nt "$installed" ]]; then
  # stdout to stderr: the caller's stdout is the command's own (`--json` output).
  "$dir/pulumi" plugin install resource kubernetes "$k8s_version" --reinstall \
    --file "$dir/pulumi-resource-kubernetes" >&2
fi

# The project of this command: --cwd/-C DIR, else the current directory.
project_dir="."
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --cwd | -C) project_dir="${args[i + 1]:-.}" ;;
    --cwd=*) project_dir="${args[i]#--cwd=}" ;;
  esac
done
case "${1:-}" in
  up | update | preview | pre | refresh | destroy | down)
    runtime="$(node -e '
      const fs = require("fs"), path = require("path");
      const file = ["Pulumi.yaml", "Pulumi.yml"].map((f) => path.join(process.argv[1], f)).find((f) => fs.existsSync(f));
      if (!file) process.exit(0);
      const { parse } = require(process.argv[2]);
      const r = (parse(fs.readFileSync(file, "utf8")) || {}).runtime;
      process.stdout.write(String((r && typeof r === "object" ? r.name : r) || ""));
    ' "$project_dir" "$repo/node_modules/yaml")"
    if [[ "$runtime" == nodejs ]] && ! command -v pulumi-language-nodejs >/dev/null; then
      # The Automation API runs the CLI it finds under a root's bin/: a link to the built one, so
      # the provider plugin beside it stays off PATH.
      root="$repo/.virtkit/pulumi-cli"
      mkdir -p "$root/bin"
      ln -sfn "$dir/pulumi" "$root/bin/pulumi"
      export VIRTKIT_PULUMI_ROOT="$root"
      export TS_NODE_PROJECT="$repo/tsconfig.json"
      exec node -r "$repo/node_modules/ts-node/register/transpile-only" "$repo/scripts/pulumi-inline.ts" "$@"
    fi
    ;;
esac
exec "$dir/pulumi" "$@"
