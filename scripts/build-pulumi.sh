#!/usr/bin/env bash
# Builds the Pulumi toolchain that `npm run pulumi` runs into the cache
# (${VIRTKIT_CACHE:-~/.cache/virtkit}/pulumi/<cli>-k8s-<provider>-yaml-<language host>/),
# skipping every binary that is already there. Safe to run again; a second run does nothing.
#
#   scripts/build-pulumi.sh               build what is missing
#   scripts/build-pulumi.sh --print-dir   print the cache folder and exit
#   scripts/build-pulumi.sh --binaries    print the names of the binaries it builds and exit
#   scripts/build-pulumi.sh --print-k8s-version
#                                         print the Kubernetes provider's version (vX.Y.Z)
#   scripts/build-pulumi.sh --print-sdkgen-source
#                                         print the hash of pulumi-sdkgen's source files
#
# The binaries, their Go modules and their versions (the folder's name carries all three, so a
# change of any one builds into a new folder):
#
#   pulumi                      the CLI: github.com/pulumi/pulumi/pkg/v3, at the version pinned
#                               in tools/pulumi/go.mod
#   pulumi-language-yaml        the Pulumi YAML language host: github.com/pulumi/pulumi-yaml, at
#                               the version pinned in tools/pulumi-yaml/go.mod (its own module:
#                               it does not compile against the CLI's newer pulumi/pkg/v3)
#   pulumi-resource-kubernetes  the Kubernetes provider plugin: tools/pulumi-kubernetes/ (our
#                               main.go over github.com/pulumi/pulumi-kubernetes/provider/v4, at
#                               the commit pinned in its go.mod), stamped with the exact
#                               @pulumi/kubernetes version package.json pins: the release that
#                               commit matches, so the SDK, the engine and the plugin agree.
#   pulumi-sdkgen               virtkit's Python SDK generator: tools/pulumi/cmd/pulumi-sdkgen/
#                               (our main.go over the CLI's own codegen/python, in the CLI's module
#                               and at its version), run by scripts/build-python-sdk.sh: the
#                               Python language host that `pulumi package gen-sdk` needs is not
#                               built (below). Being our own code, it is also rebuilt when its
#                               source changes (its hash is kept beside it, pulumi-sdkgen.source).
#
# The provider embeds its Pulumi schema and Terraform mapping, which its module ships as
# schema.json and terraform-mapping.json beside its main package. They are not copied into the
# repository: the provider is built in a scratch folder in the cache (tools/pulumi-kubernetes/
# copied there, the two files written beside it from the module cache, the schema stamped with
# the version), which is removed once the binary is in place.
#
# Not built: the Node.js and Python language hosts (github.com/pulumi/pulumi/sdk/nodejs/cmd/
# pulumi-language-nodejs/v3, .../sdk/python/cmd/pulumi-language-python/v3), whose Go modules the
# module proxy does not serve (docs/pulumi.md).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib/go-build.sh
source "$repo/scripts/lib/go-build.sh"
# shellcheck source=lib/npm-pin.sh
source "$repo/scripts/lib/npm-pin.sh"
cli_module="$repo/tools/pulumi"
yaml_module="$repo/tools/pulumi-yaml"
k8s_module="$repo/tools/pulumi-kubernetes"
k8s_provider=github.com/pulumi/pulumi-kubernetes/provider/v4
binaries=(pulumi pulumi-language-yaml pulumi-resource-kubernetes pulumi-sdkgen)

cli_version="$(go_mod_version build-pulumi "$cli_module/go.mod" github.com/pulumi/pulumi/pkg/v3 v3.)" || exit 1
yaml_version="$(go_mod_version build-pulumi "$yaml_module/go.mod" github.com/pulumi/pulumi-yaml v1.)" || exit 1
go_mod_version build-pulumi "$k8s_module/go.mod" "$k8s_provider" v4. >/dev/null || exit 1
# The release the provider is stamped with: package.json's exact pin of the SDK (read from
# package.json, not node_modules, so the folder is known before `npm ci`).
k8s_pin="$(npm_exact_pin build-pulumi @pulumi/kubernetes \
  "the provider built from tools/pulumi-kubernetes/ is stamped with it")" || exit 1
k8s_version="v$k8s_pin"
out="${VIRTKIT_CACHE:-$HOME/.cache/virtkit}/pulumi/${cli_version}-k8s-${k8s_version}-yaml-${yaml_version}"
sdkgen_source="$(cat "$cli_module"/cmd/pulumi-sdkgen/*.go | sha256sum | cut -c1-64)"

case "${1:-}" in
  --print-dir)
    echo "$out"
    exit 0
    ;;
  --binaries)
    printf '%s\n' "${binaries[@]}"
    exit 0
    ;;
  --print-k8s-version)
    echo "$k8s_version"
    exit 0
    ;;
  --print-sdkgen-source)
    echo "$sdkgen_source"
    exit 0
    ;;
  "") ;;
  *)
    echo "build-pulumi: unexpected argument '$1'" \
      "(the options are --print-dir, --binaries, --print-k8s-version and --print-sdkgen-source)" >&2
    exit 2
    ;;
esac

go_build_setup build-pulumi "the Pulumi toolchain" "$cli_module" "$out"

# The CLI first: `npm run pulumi` needs it before the plugins.
go_build_missing pulumi "pulumi $cli_version" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
  "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$cli_version"
# The SDK generator next: a small link once the CLI's packages are compiled.
if [[ "$(cat "$out/pulumi-sdkgen.source" 2>/dev/null)" != "$sdkgen_source" ]]; then
  rm -f "$out/pulumi-sdkgen"
fi
go_build_missing pulumi-sdkgen "pulumi-sdkgen (codegen of pulumi $cli_version)" ./cmd/pulumi-sdkgen ""
echo "$sdkgen_source" >"$out/pulumi-sdkgen.source"
cd "$yaml_module"
go_build_missing pulumi-language-yaml "pulumi-language-yaml $yaml_version" \
  github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml \
  "-X github.com/pulumi/pulumi-yaml/pkg/version.Version=${yaml_version#v}"

# prepare_k8s_scratch DIR: tools/pulumi-kubernetes/ copied into DIR, with the two files its
# main.go embeds written beside it as the provider's own build (its
# cmd/pulumi-resource-kubernetes/generate.go) writes them: the schema with its version set,
# both compacted.
prepare_k8s_scratch() {
  local scratch="$1" shipped
  (cd "$k8s_module" && go mod download "$k8s_provider")
  shipped="$(cd "$k8s_module" && go list -m -f '{{.Dir}}' "$k8s_provider")/cmd/pulumi-resource-kubernetes"
  rm -rf "$scratch"
  mkdir -p "$scratch"
  cp "$k8s_module/go.mod" "$k8s_module/go.sum" "$k8s_module/main.go" "$scratch/"
  node -e '
    const fs = require("fs");
    const [shipped, scratch, version] = process.argv.slice(1);
    const schema = JSON.parse(fs.readFileSync(`${shipped}/schema.json`, "utf8"));
    schema.version = version;
    fs.writeFileSync(`${scratch}/schema-embed.json`, JSON.stringify(schema));
    const mapping = JSON.parse(fs.readFileSync(`${shipped}/terraform-mapping.json`, "utf8"));
    fs.writeFileSync(`${scratch}/terraform-mapping-embed.json`, JSON.stringify(mapping));
  ' "$shipped" "$scratch" "$k8s_pin"
}

scratch="$out/.build-pulumi-resource-kubernetes"
if [[ ! -x "$out/pulumi-resource-kubernetes" ]]; then
  prepare_k8s_scratch "$scratch"
  cd "$scratch"
fi
go_build_missing pulumi-resource-kubernetes "pulumi-resource-kubernetes $k8s_version" . \
  "-X $k8s_provider/pkg/version.Version=$k8s_pin"
cd "$repo"
rm -rf "$scratch"

if [[ ! -x "$out/pulumi-language-nodejs" ]] && ! command -v pulumi-language-nodejs >/dev/null; then
  echo "build-pulumi: pulumi-language-nodejs is not built: its Go module is not served by the" \
    "module proxy (see docs/pulumi.md); Pulumi YAML programs run, Node.js programs do not" >&2
fi
echo "build-pulumi: binaries in $out"
