import { MAX_NODE_SLOT, NoFreeNodeSlotError, nodeAddresses, pickNodeSlots } from './slots';

describe('kubelet node addresses', () => {
  test('slot s links on 10.250.s.0/24 and gives its pods 10.251.s.0/24', () => {
    expect(nodeAddresses(3)).toEqual({
      slot: 3,
      hostIp: '10.250.3.1',
      nodeIp: '10.250.3.2',
      podCidr: '10.251.3.0/24',
    });
    expect(() => nodeAddresses(0)).toThrow(/slot 0 is not a whole number from 1 to 254/);
    expect(() => nodeAddresses(MAX_NODE_SLOT + 1)).toThrow(RangeError);
  });

  test('the lowest slots the host does not use are picked', () => {
    const picked = pickNodeSlots(2, { routes: [], addresses: ['127.0.0.1'] });
    expect(picked.map((a) => a.slot)).toEqual([1, 2]);
  });

  test("a slot whose pod range is routed, or whose link is assigned or routed, is someone else's", () => {
    const picked = pickNodeSlots(3, {
      // another cluster's node 1 (its pod route), a test's link address, a stale link route
      routes: ['10.251.1.0/24', '10.250.4.0/24', '10.244.0.0/24'],
      addresses: ['10.250.2.1'],
    });
    expect(picked.map((a) => a.slot)).toEqual([3, 5, 6]);
  });

  test('when too few slots are free the error says how many and what to do', () => {
    const routes = Array.from({ length: MAX_NODE_SLOT - 1 }, (_, i) => `10.251.${i + 1}.0/24`);
    expect(pickNodeSlots(1, { routes, addresses: [] }).map((a) => a.slot)).toEqual([MAX_NODE_SLOT]);
    expect(() => pickNodeSlots(2, { routes, addresses: [] })).toThrow(NoFreeNodeSlotError);
    expect(() => pickNodeSlots(2, { routes, addresses: [] })).toThrow(
      /only 1 of the 2 kubelet nodes asked for have free addresses.*virtkit down/,
    );
  });
});
