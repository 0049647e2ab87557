import { kubeletMirrorProblem } from './up';

describe('virtkit up --runtime kubelet --registry-mirror', () => {
  it("refuses a loopback mirror: on kubelet nodes it is the handler pod's own", () => {
    for (const spec of [
      'quay.io=http://127.0.0.1:5000',
      'docker.io=http://localhost:5000',
      'quay.io=http://[::1]:5000',
      'quay.io=http://127.1.2.3',
    ])
      expect(kubeletMirrorProblem(spec)).toMatch(
        /^--registry-mirror ".*": on kubelet nodes the handler pods pull containerDisks from their own network, where .* is the pod itself; give an address of this machine the nodes reach/,
      );
  });

  it('takes an address the nodes reach', () => {
    expect(kubeletMirrorProblem('quay.io=http://192.0.2.2:5000')).toBeUndefined();
    expect(kubeletMirrorProblem('quay.io=https://mirror.example.com')).toBeUndefined();
  });

  it('refuses a malformed mirror with the syntax', () => {
    expect(() => kubeletMirrorProblem('quay.io')).toThrow(/write HOST=URL/);
  });
});
