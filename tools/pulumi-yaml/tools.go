//go:build tools

// Package pulumiyaml pins the Pulumi YAML language host (pulumi-language-yaml) that
// `npm run pulumi` runs Pulumi YAML programs with. The file is never compiled (build tag
// "tools"); it only keeps the main package and its dependencies in go.mod and go.sum so
// `go build` works offline from the module cache.
package pulumiyaml

import (
	_ "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml"
)
