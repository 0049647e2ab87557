//go:build tools

// Package pulumi pins the Pulumi command-line tool that `npm run pulumi` runs. The file is
// never compiled (build tag "tools"); it only keeps the main package and its dependencies in
// go.mod and go.sum so `go build` works offline from the module cache.
package pulumi

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
