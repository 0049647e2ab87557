import { Command } from 'commander';
import { PAUSED_ANNOTATION } from '../../handler/vmi/pause';
import { checkPausable, parseTargetKind, pausePatch, register } from './pause';

const running = { status: { phase: 'Running' } };

describe('virtkit pause / unpause (pure parts)', () => {
  it('accepts vmi and vm and refuses other kinds by name', () => {
    expect(parseTargetKind('vmi')).toBe('vmi');
    expect(parseTargetKind('VirtualMachine')).toBe('vm');
    expect(() => parseTargetKind('pod')).toThrow(
      /'pod' cannot be paused or unpaused; name a 'vmi' or a 'vm'/,
    );
  });

  it('pause writes "true", unpause "false"', () => {
    expect(pausePatch('pause')).toEqual({ metadata: { annotations: { [PAUSED_ANNOTATION]: 'true' } } });
    expect(pausePatch('unpause')).toEqual({ metadata: { annotations: { [PAUSED_ANNOTATION]: 'false' } } });
  });

  it('refuses a VMI that is not running or is being deleted, naming it and its phase', () => {
    expect(() => checkPausable('pause', 'VMI ns/a', { status: { phase: 'Scheduled' } })).toThrow(
      /VMI ns\/a is not running \(status\.phase is Scheduled\)/,
    );
    expect(() => checkPausable('unpause', 'VMI ns/a', {})).toThrow(/status\.phase is Pending/);
    expect(() =>
      checkPausable('pause', 'VMI ns/a', { ...running, metadata: { deletionTimestamp: 'now' } }),
    ).toThrow(/VMI ns\/a is being deleted/);
  });

  it('says when the wish is already recorded', () => {
    const paused = { ...running, metadata: { annotations: { [PAUSED_ANNOTATION]: 'true' } } };
    expect(checkPausable('pause', 'v', running)).toBe('patch');
    expect(checkPausable('pause', 'v', paused)).toBe('already');
    expect(checkPausable('unpause', 'v', paused)).toBe('patch');
    expect(checkPausable('unpause', 'v', running)).toBe('already');
    expect(checkPausable('unpause', 'v', { ...running, spec: { startStrategy: 'Paused' } })).toBe('patch');
  });

  it('registers pause and unpause once, however often it is called', () => {
    const program = new Command();
    register(program);
    register(program);
    expect(program.commands.map((c) => c.name()).sort()).toEqual(['pause', 'unpause']);
  });
});
