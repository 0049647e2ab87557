import { PortForwardFraming } from './port-forward';

const msg = (...parts: (number[] | string)[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

describe("pods/portforward's v4.channel.k8s.io framing", () => {
  test("each channel's first two bytes (the port) are dropped once, whether alone or with data", () => {
    const f = new PortForwardFraming(8443);
    // 8443 = 0x20fb, little-endian.
    expect(f.unwrap(msg([0, 0xfb, 0x20])) ?? Buffer.alloc(0)).toEqual(Buffer.alloc(0));
    expect(f.unwrap(msg([0], 'hello'))?.toString()).toBe('hello');
    expect(f.unwrap(msg([0], [0xfb, 0x20]))?.toString('hex')).toBe('fb20');

    const g = new PortForwardFraming(8443);
    expect(g.unwrap(msg([0, 0xfb, 0x20], 'data'))?.toString()).toBe('data');
  });

  test("the error channel's text is kept for the problem, never passed on as data", () => {
    const f = new PortForwardFraming(8443);
    expect(f.problem()).toBeUndefined();
    expect(f.unwrap(msg([1, 0xfb, 0x20]))).toBeUndefined();
    expect(f.unwrap(msg([1], 'error forwarding port 8443 to pod x: connection refused'))).toBeUndefined();
    expect(f.problem()).toBe('port 8443: error forwarding port 8443 to pod x: connection refused');
  });

  test('other channels and empty messages are skipped; data goes out on channel 0', () => {
    const f = new PortForwardFraming(80);
    expect(f.unwrap(Buffer.alloc(0))).toBeUndefined();
    expect(f.unwrap(msg([2, 0x50, 0], 'x'))).toBeUndefined();
    expect(f.wrap(Buffer.from('GET /')).toString('hex')).toBe(msg([0], 'GET /').toString('hex'));
  });
});
