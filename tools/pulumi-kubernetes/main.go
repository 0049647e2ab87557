// Command pulumi-resource-kubernetes is the Pulumi Kubernetes provider plugin that
// `npm run pulumi` runs, built from github.com/pulumi/pulumi-kubernetes/provider/v4 at the
// version pinned in go.mod (see scripts/build-pulumi.sh and docs/pulumi.md).
//
// The provider serves its Pulumi schema and Terraform mapping from two JSON files embedded in
// the binary. They are not in this repository: scripts/build-pulumi.sh copies this module into
// a build folder in the cache, writes them there from the schema.json and
// terraform-mapping.json that the provider module ships (the schema stamped with the plugin's
// version, as the provider's own build does), and builds from that folder. A `go build` here,
// without them, stops at the go:embed lines.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	// version.Version is stamped at link time (-X) to the @pulumi/kubernetes release this
	// provider matches, so the engine and the SDK agree on the plugin's version.
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
