import { checkAgainst } from '../../validation/schema-check';
import type { Issue } from '../../validation/issue';
import { DomainSpec } from './domain';
import { richDomain } from './domain-fixtures';

type Json = Record<string, unknown>;

/** Deep-copy the rich domain and let a test damage one spot. */
function withChange(change: (d: Json) => void): Json {
  const d = JSON.parse(JSON.stringify(richDomain())) as Json;
  change(d);
  return d;
}

function at(d: Json, ...path: (string | number)[]): Json {
  let cur: unknown = d;
  for (const p of path) cur = (cur as Record<string | number, unknown>)[p];
  return cur as Json;
}

function only(issues: Issue[]): Issue {
  expect(issues).toHaveLength(1);
  return issues[0];
}

describe('DomainSpec', () => {
  it('accepts a rich domain that uses most of the API', () => {
    expect(checkAgainst(DomainSpec, richDomain(), 'spec.domain')).toEqual([]);
  });

  it('accepts the smallest domain KubeVirt accepts: just devices', () => {
    expect(checkAgainst(DomainSpec, { devices: {} })).toEqual([]);
  });

  it('requires devices', () => {
    const issue = only(
      checkAgainst(DomainSpec, { resources: { requests: { memory: '1Gi' } } }, 'spec.domain'),
    );
    expect(issue.path).toBe('spec.domain.devices');
    expect(issue.rule).toBe('schema.required');
  });

  it('reports an unknown field deep inside a disk with its path and a suggestion', () => {
    const d = withChange((x) => {
      at(x, 'devices', 'disks', 0, 'disk').buss = 'virtio';
    });
    const issue = only(checkAgainst(DomainSpec, d, 'spec.domain'));
    expect(issue.path).toBe('spec.domain.devices.disks[0].disk.buss');
    expect(issue.message).toContain('did you mean "bus"?');
  });

  it('reports unknown fields in several places at once', () => {
    const d = withChange((x) => {
      at(x, 'features', 'hyperv').relaxd = {};
      at(x, 'devices', 'interfaces', 1).macAdress = 'de:ad:00:00:be:af';
      at(x, 'clock', 'timer').hept = {};
    });
    const issues = checkAgainst(DomainSpec, d, 'spec.domain');
    expect(issues.map((i) => i.path).sort()).toEqual([
      'spec.domain.clock.timer.hept',
      'spec.domain.devices.interfaces[1].macAdress',
      'spec.domain.features.hyperv.relaxd',
    ]);
    expect(issues.find((i) => i.path.endsWith('macAdress'))?.message).toContain('did you mean "macAddress"?');
    expect(issues.find((i) => i.path.endsWith('relaxd'))?.message).toContain('did you mean "relaxed"?');
  });

  it('reports a wrong type with the value it got', () => {
    const d = withChange((x) => {
      at(x, 'cpu').cores = 'two';
    });
    const issue = only(checkAgainst(DomainSpec, d, 'spec.domain'));
    expect(issue.path).toBe('spec.domain.cpu.cores');
    expect(issue.message).toBe('must be an integer, got a string "two"');
  });

  it('reports an invalid quantity in memory.guest', () => {
    const d = withChange((x) => {
      at(x, 'memory').guest = '1GG';
    });
    const issue = only(checkAgainst(DomainSpec, d, 'spec.domain'));
    expect(issue.path).toBe('spec.domain.memory.guest');
    expect(issue.rule).toBe('schema.quantity');
    expect(issue.message).toContain('invalid quantity "1GG"');
  });

  it('reports an invalid quantity in resource requests, keyed by resource name', () => {
    const d = withChange((x) => {
      at(x, 'resources', 'requests').memory = 'lots';
    });
    const issue = only(checkAgainst(DomainSpec, d, 'spec.domain'));
    expect(issue.path).toBe('spec.domain.resources.requests.memory');
    expect(issue.rule).toBe('schema.quantity');
  });

  it('reports an unsupported value of a fixed set, naming the allowed values', () => {
    const d = withChange((x) => {
      at(x, 'devices', 'disks', 0).errorPolicy = 'panic';
    });
    const issue = only(checkAgainst(DomainSpec, d, 'spec.domain'));
    expect(issue.path).toBe('spec.domain.devices.disks[0].errorPolicy');
    expect(issue.message).toBe('unsupported value "panic"; use one of: stop, ignore, report, enospace');
  });
});
