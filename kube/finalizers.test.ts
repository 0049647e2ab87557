import { addFinalizerPatch, removeFinalizerPatch } from './finalizers';

test('adding a finalizer is guarded by the list it extends, or the resourceVersion when there is none', () => {
  expect(addFinalizerPatch({ metadata: { resourceVersion: '4' } }, 'f')).toEqual([
    { op: 'test', path: '/metadata/resourceVersion', value: '4' },
    { op: 'add', path: '/metadata/finalizers', value: ['f'] },
  ]);
  expect(addFinalizerPatch({ metadata: { finalizers: ['a'] } }, 'f')).toEqual([
    { op: 'test', path: '/metadata/finalizers', value: ['a'] },
    { op: 'add', path: '/metadata/finalizers/-', value: 'f' },
  ]);
  expect(addFinalizerPatch({ metadata: { finalizers: ['f'] } }, 'f')).toBeUndefined();
});

test('removing one keeps the others and is guarded by the list', () => {
  expect(removeFinalizerPatch({ metadata: { finalizers: ['a', 'f'] } }, 'f')).toEqual([
    { op: 'test', path: '/metadata/finalizers', value: ['a', 'f'] },
    { op: 'replace', path: '/metadata/finalizers', value: ['a'] },
  ]);
  expect(removeFinalizerPatch({ metadata: {} }, 'f')).toBeUndefined();
});
