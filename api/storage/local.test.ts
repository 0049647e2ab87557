import { localSnapshotHandle, parseLocalSnapshotHandle } from './local';

test('a local snapshotHandle is <node>/<directory>, both DNS subdomains', () => {
  expect(localSnapshotHandle('node-a', 'snapcontent-1')).toBe('node-a/snapcontent-1');
  expect(parseLocalSnapshotHandle('node-a/snapcontent-1')).toEqual({
    node: 'node-a',
    directory: 'snapcontent-1',
  });
  for (const bad of ['', 'node-a', 'a/b/c', 'node-a/..', '../x', 'node-a/.partial-x', 'Node/x'])
    expect(parseLocalSnapshotHandle(bad)).toEqual({
      problem: expect.stringMatching(/<node>\/<directory>|DNS subdomain/),
    });
});
