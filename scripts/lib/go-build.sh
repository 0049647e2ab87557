# shellcheck shell=bash
# Go build steps shared by scripts/build-controlplane.sh and scripts/build-pulumi.sh: read a
# pinned version from a go.mod, then build main packages of a Go module into a cache folder,
# one binary at a time, skipping each binary that is already there. Source it; it only defines
# functions (and go_build_setup records the calling tool and cache folder for go_build_missing).

# go_mod_version TOOL GOMOD MODULE PREFIX
#   Prints the version GOMOD requires MODULE at, taking the first one that starts with PREFIX
#   (so a major-version line such as "v1." is picked over v0 twins). When there is none, says so
#   on stderr in TOOL's name and returns 1.
go_mod_version() {
  local tool="$1" gomod="$2" module="$3" prefix="$4" version
  # A one-line `require M v` has "require" first: drop it so both forms read alike.
  version="$(awk -v m="$module" -v p="$prefix" '
    $1 == "require" { $1 = ""; $0 = $0 }
    $1 == m && index($2, p) == 1 { print $2; exit }' "$gomod")"
  if [[ -z "$version" ]]; then
    echo "$tool: cannot read the $module version from $gomod" >&2
    return 1
  fi
  echo "$version"
}

# go_build_setup TOOL PURPOSE MODULE_DIR OUT
#   Exits 1 with a message in TOOL's name when `go` is missing (PURPOSE says what it would
#   build); otherwise creates OUT, takes its build lock (held until the script exits; another
#   build into OUT waits for it), enters MODULE_DIR and sets the Go environment of the builds.
go_build_setup() {
  go_build_tool="$1"
  local purpose="$2" module_dir="$3"
  go_build_out="$4"
  if ! command -v go >/dev/null; then
    echo "$go_build_tool: 'go' is not on PATH; install Go >= 1.25 to build $purpose" >&2
    exit 1
  fi
  mkdir -p "$go_build_out"
  # One build per cache folder at a time: a second run (another clone's setup, a helper) waits
  # here, then finds the binaries the first one built and skips them.
  exec {go_build_lock}>"$go_build_out/.build.lock"
  if ! flock -n "$go_build_lock"; then
    echo "$go_build_tool: another build into $go_build_out is running; waiting for it"
    flock "$go_build_lock"
  fi
  cd "$module_dir"
  # Two cores on the reference machine: do not let the Go toolchain fan out further.
  export GOMAXPROCS="${GOMAXPROCS:-2}"
  export GOFLAGS="-trimpath -mod=readonly"
  export CGO_ENABLED=0
}

# go_build_missing NAME LABEL PACKAGE LDFLAGS
#   Builds PACKAGE into the cache folder as NAME (stripped, with the extra LDFLAGS) unless an
#   executable NAME is already there; LABEL names the binary and its version in the messages.
go_build_missing() {
  local name="$1" label="$2" package="$3" ldflags="$4" start
  if [[ -x "$go_build_out/$name" ]]; then
    echo "$go_build_tool: $label already in $go_build_out"
    return 0
  fi
  start=$SECONDS
  echo "$go_build_tool: building $label ..."
  # Build to a temporary name and rename, so an interrupted build never leaves a binary that
  # looks complete.
  go build -p "$GOMAXPROCS" -ldflags "-s -w${ldflags:+ $ldflags}" \
    -o "$go_build_out/.$name.partial" "$package"
  mv "$go_build_out/.$name.partial" "$go_build_out/$name"
  echo "$go_build_tool: built $name in $((SECONDS - start))s"
}
