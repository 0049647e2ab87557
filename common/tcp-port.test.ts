import { forwardProtocolOf, tcpPortOf } from './tcp-port';

test('a TCP port is 1 to 65535 in plain digits; 0 only where the caller allows it', () => {
  expect(tcpPortOf('22')).toBe(22);
  expect(tcpPortOf('0022')).toBe(22);
  expect(tcpPortOf('65535')).toBe(65535);
  expect(tcpPortOf('0')).toBeUndefined();
  expect(tcpPortOf('0', 0)).toBe(0);
  for (const bad of [null, undefined, '', '65536', '-1', '1e3', ' 22', '22a', '123456', '0x16'])
    expect(tcpPortOf(bad)).toBeUndefined();
});

test('a port-forward protocol is tcp or udp in any case', () => {
  expect(forwardProtocolOf('TCP')).toBe('tcp');
  expect(forwardProtocolOf('udp')).toBe('udp');
  expect(forwardProtocolOf('sctp')).toBeUndefined();
});
