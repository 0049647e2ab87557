/** The Multus networks this program declares, as a VM's network check looks them up. */
import { declareNetwork, forgetDeclaredNetworks, isDeclared, whenDeclared } from './network-registry';

beforeEach(() => forgetDeclaredNetworks());

describe('the registry of networks this program declares', () => {
  it('matches namespace and name, an unset namespace meaning the default one', () => {
    declareNetwork({ namespace: 'apps', name: 'br1' });
    declareNetwork({ name: 'br2' });
    expect(isDeclared({ namespace: 'apps', name: 'br1' }, 'default')).toBe(true);
    expect(isDeclared({ name: 'br1' }, 'apps')).toBe(true);
    expect(isDeclared({ name: 'br1' }, 'default')).toBe(false);
    expect(isDeclared({ namespace: 'team-a', name: 'br2' }, 'team-a')).toBe(true);
    expect(isDeclared({ namespace: 'apps', name: 'br2' }, 'team-a')).toBe(false);
  });

  it('whenDeclared waits for a declaration, or answers false once the wait is over', async () => {
    const later = whenDeclared({ namespace: 'apps', name: 'soon' }, 'default', 2000);
    declareNetwork({ namespace: 'apps', name: 'soon' });
    expect(await later).toBe(true);
    expect(await whenDeclared({ namespace: 'apps', name: 'never' }, 'default', 10)).toBe(false);
  });
});
