// The package.json jsii compiles the constructs' Python package from (scripts/build-cdk8s-python.sh
// writes it into the staging folder): this repository's name, version and licence, cdk8s and
// constructs as peer dependencies at package.json's exact pins, and the libraries the constructs
// import at run time at the versions package-lock.json has, bundled into the npm tarball that
// the Python package carries (the jsii runtime loads it with no npm install of its own).
'use strict';
const path = require('node:path');

const repo = process.argv[2];
const root = require(path.join(repo, 'package.json'));
const lock = require(path.join(repo, 'package-lock.json'));
const locked = (name) => {
  const entry = lock.packages[`node_modules/${name}`];
  if (!entry) throw new Error(`cdk8s-python-package: ${name} is not in package-lock.json; run npm install`);
  return entry.version;
};
const bundled = ['@sinclair/typebox', 'ajv', 'yaml'];
const peers = { cdk8s: root.dependencies.cdk8s, constructs: root.dependencies.constructs };
const types = { '@types/node': locked('@types/node') };
const pkg = {
  name: 'virtkit-cdk8s',
  version: root.version,
  description: 'virtkit cdk8s constructs for KubeVirt-compatible virtual machines (jsii build for Python)',
  license: root.license,
  author: { name: 'virtkit', url: 'https://github.com/virtkit/virtkit', organization: true },
  repository: { type: 'git', url: 'https://github.com/virtkit/virtkit.git' },
  main: 'constructs/index.js',
  types: 'constructs/index.d.ts',
  dependencies: Object.fromEntries(bundled.map((n) => [n, locked(n)])),
  bundledDependencies: bundled,
  peerDependencies: peers,
  devDependencies: { ...peers, ...types },
  jsii: {
    outdir: 'dist',
    targets: { python: { distName: 'virtkit-cdk8s', module: 'virtkit_cdk8s' } },
    tsc: { outDir: '.', rootDir: '.' },
  },
};
process.stdout.write(`${JSON.stringify(pkg, null, 2)}\n`);
