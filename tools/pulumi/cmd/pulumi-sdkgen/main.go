// Command pulumi-sdkgen writes the Python SDK of a Pulumi package from its schema with Pulumi's
// own generator (github.com/pulumi/pulumi/pkg/v3/codegen/python, at the version the CLI in
// tools/pulumi is built from), without the Python language host that `pulumi package gen-sdk
// --language python` needs and that cannot be built here (docs/pulumi.md).
//
//	pulumi-sdkgen --schema provider/plugin/schema.json --out sdk/python [--version 1.2.3]
//
// It binds the schema as gen-sdk does (dangling references allowed; referenced packages are
// loaded from the plugins installed in PULUMI_HOME, only when the schema refers to one), then
// writes the generated files into --out, which must be missing, empty, or a folder this command
// wrote before (it is then emptied first, so no file of an older schema stays behind).
//
// Two Python options are on unless the schema sets them itself: `respectSchemaVersion` (the pip
// package and its pulumi-plugin.json carry the schema's version, so a program asks the engine for
// the very plugin version the schema describes, not 0.0.0) and `pyproject.enabled` (a
// pyproject.toml, which pip installs without running a setup.py).
//
// scripts/build-pulumi.sh builds it into the Pulumi cache folder; scripts/build-python-sdk.sh
// runs it.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
)

// marker is the file written into every output folder, so a later run knows it may empty it.
const marker = ".pulumi-sdkgen"

// tool names the generator in the header of every generated file.
const tool = "pulumi-sdkgen (virtkit)"

func main() {
	// A flag set of its own: Pulumi's packages register logging flags on the global one.
	flags := flag.NewFlagSet("pulumi-sdkgen", flag.ExitOnError)
	schemaPath := flags.String("schema", "", "the package's schema JSON (required)")
	out := flags.String("out", "", "the folder to write the Python SDK into (required)")
	version := flags.String("version", "", "the package version to generate for (default: the schema's version)")
	flags.Usage = func() {
		fmt.Fprintf(flags.Output(),
			"usage: pulumi-sdkgen --schema FILE --out DIR [--version X.Y.Z]\n"+
				"Writes the Python SDK of a Pulumi package schema with Pulumi's own generator.\n")
		flags.PrintDefaults()
	}
	_ = flags.Parse(os.Args[1:])
	if *schemaPath == "" || *out == "" || flags.NArg() != 0 {
		flags.Usage()
		os.Exit(2)
	}
	files, err := generate(*schemaPath, *version)
	if err == nil {
		err = write(*out, files)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-sdkgen: %v\n", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "pulumi-sdkgen: wrote the Python SDK (%d files) to %s\n", len(files), *out)
}

// generate reads and binds the schema and returns the Python SDK's files by relative path.
func generate(schemaPath, version string) (map[string][]byte, error) {
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		return nil, fmt.Errorf("cannot read the schema: %w", err)
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return nil, fmt.Errorf("%s is not a Pulumi package schema (JSON): %w", schemaPath, err)
	}
	if version != "" {
		// Binding checks that it is a semantic version.
		spec.Version = version
	}
	if spec.Version == "" {
		return nil, fmt.Errorf("%s has no version: set its \"version\" or pass --version X.Y.Z "+
			"(the SDK asks the engine for the provider plugin at that version)", schemaPath)
	}
	if err := setPythonDefaults(&spec); err != nil {
		return nil, fmt.Errorf("%s: language.python: %w", schemaPath, err)
	}

	cwd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	// A plugin host for the schemas of referenced packages (kubernetes types, say): it starts a
	// plugin only when the schema refers to its package.
	pctx, err := plugin.NewContext(context.Background(), nil, nil, nil, nil, cwd, nil, false, nil,
		schema.NewLoaderServerFromHost)
	if err != nil {
		return nil, fmt.Errorf("cannot create the plugin context for referenced packages: %w", err)
	}
	defer func() { _ = pctx.Close() }()
	loader := schema.NewCachedLoader(schema.NewPluginLoader(pctx.Host))

	pkg, diags, err := schema.BindSpec(spec, loader, schema.ValidationOptions{AllowDanglingReferences: true})
	if err != nil {
		return nil, fmt.Errorf("cannot bind %s: %w", schemaPath, err)
	}
	if diags.HasErrors() {
		return nil, fmt.Errorf("%s is not a valid Pulumi package schema: %w", schemaPath, diags)
	}
	// Warnings (a dangling reference, say: allowed, as gen-sdk allows them) are shown, not fatal.
	for _, d := range diags {
		fmt.Fprintf(os.Stderr, "pulumi-sdkgen: warning: %s: %s\n", schemaPath, d.Error())
	}
	files, err := python.GeneratePackage(tool, pkg, nil, loader)
	if err != nil {
		return nil, fmt.Errorf("generating the Python SDK of %s failed: %w", schemaPath, err)
	}
	return files, nil
}

// setPythonDefaults turns on respectSchemaVersion and pyproject.enabled in the schema's
// language.python section, unless the schema sets them itself.
func setPythonDefaults(spec *schema.PackageSpec) error {
	info := map[string]any{}
	if raw, ok := spec.Language["python"]; ok && len(raw) > 0 {
		if err := json.Unmarshal(raw, &info); err != nil {
			return fmt.Errorf("not a JSON object: %w", err)
		}
	}
	if _, ok := info["respectSchemaVersion"]; !ok {
		info["respectSchemaVersion"] = true
	}
	if _, ok := info["pyproject"]; !ok {
		info["pyproject"] = map[string]any{"enabled": true}
	}
	raw, err := json.Marshal(info)
	if err != nil {
		return err
	}
	if spec.Language == nil {
		spec.Language = map[string]schema.RawMessage{}
	}
	spec.Language["python"] = raw
	return nil
}

// write empties out (when it is ours) and writes files into it, each confined to it.
func write(out string, files map[string][]byte) error {
	if err := prepare(out); err != nil {
		return err
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		rel := filepath.Clean(filepath.FromSlash(p))
		if !filepath.IsLocal(rel) {
			return fmt.Errorf("the generator produced a path outside the output folder: %q", p)
		}
		full := filepath.Join(out, rel)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, files[p], 0o644); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(out, marker),
		[]byte("Written by pulumi-sdkgen: the whole folder is replaced on the next run.\n"), 0o644)
}

// prepare makes out an empty folder: missing or empty is fine, a folder with our marker is
// emptied, anything else is refused (it is not ours to delete).
func prepare(out string) error {
	entries, err := os.ReadDir(out)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return os.MkdirAll(out, 0o755)
	case err != nil:
		return fmt.Errorf("cannot read the output folder: %w", err)
	case len(entries) == 0:
		return nil
	}
	if _, err := os.Stat(filepath.Join(out, marker)); err != nil {
		return fmt.Errorf("%s is not empty and was not written by pulumi-sdkgen (no %s in it); "+
			"remove it or choose another --out", out, marker)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(out, e.Name())); err != nil {
			return err
		}
	}
	return nil
}
