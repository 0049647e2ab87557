//go:build tools

// Package whereabouts pins the whereabouts CNI IPAM plugin the local-mode handler runs for
// NetworkAttachmentDefinitions whose ipam.type is "whereabouts". The file is never compiled
// (build tag "tools"); it only keeps the plugin's main package and its dependencies in go.mod
// and go.sum so `go build` works offline from the module cache
// (scripts/build-whereabouts.sh).
package whereabouts

import (
	// The plugin's main package (cmd/whereabouts.go): ADD, DEL and CHECK of the CNI spec.
	_ "github.com/k8snetworkplumbingwg/whereabouts/cmd"
)
