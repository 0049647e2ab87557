import { nodeFilesFrom, statusStanza } from './node-runtime';

test("Node.js's files: the node executable and its licence, no npm, corepack, headers or docs", () => {
  const listing = [
    '/.',
    '/usr',
    '/usr/bin',
    '/usr/bin/node',
    '/usr/bin/npm',
    '/usr/bin/npx',
    '/usr/bin/corepack',
    '/usr/include/node/v8.h',
    '/usr/lib/node_modules/npm/index.js',
    '/usr/lib/node_modules/corepack/dist/corepack.js',
    '/usr/share/doc/nodejs/copyright',
    '/usr/share/doc/nodejs/CHANGELOG.md',
    '/usr/share/man/man1/node.1.gz',
    '/usr/share/systemtap/tapset/node.stp',
    '',
  ];
  expect(nodeFilesFrom(listing)).toEqual([
    '/usr',
    '/usr/bin',
    '/usr/bin/node',
    '/usr/share/doc/nodejs/copyright',
  ]);
});

test('the status stanza names the package and version for scanners, and what of it the image holds', () => {
  const stanza = statusStanza(
    {
      Package: 'nodejs',
      Version: '20.20.2-1nodesource1+repack1',
      Architecture: 'amd64',
      Depends: 'python3',
      Maintainer: 'Someone <x@example.org>',
    },
    ['/usr/bin/node'],
  );
  expect(stanza).toBe(
    [
      'Package: nodejs',
      'Status: install ok installed',
      'Version: 20.20.2-1nodesource1+repack1',
      'Architecture: amd64',
      'Maintainer: Someone <x@example.org>',
      'Description: Node.js runtime (only /usr/bin/node of the package)',
      '',
    ].join('\n'),
  );
});
