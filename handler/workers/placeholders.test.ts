/** Which pods are placeholders (Running, nothing started), and that the launcher runtime leaves them alone. */
import { isLauncherPod } from '../pods/pod-types';
import { isPlaceholderPod } from './placeholders';

const pod = (labels: Record<string, string>, annotations: Record<string, string> = {}) => ({
  metadata: { name: 'p', namespace: 'ns', labels, annotations },
});

it('an ephemeral provisioning launcher pod and a hotplug attachment pod are placeholders, not launchers', () => {
  const ephemeral = pod({ 'kubevirt.io': 'virt-launcher' }, { 'kubevirt.io/ephemeral-provisioning': 'true' });
  const hotplug = pod({ 'kubevirt.io': 'hotplug-disk' });
  expect(isPlaceholderPod(ephemeral)).toBe(true);
  expect(isLauncherPod(ephemeral)).toBe(false);
  expect(isPlaceholderPod(hotplug)).toBe(true);
  expect(isLauncherPod(hotplug)).toBe(false);
});

it('a launcher pod (even annotated "false") is a launcher, not a placeholder', () => {
  for (const p of [
    pod({ 'kubevirt.io': 'virt-launcher' }),
    pod({ 'kubevirt.io': 'virt-launcher' }, { 'kubevirt.io/ephemeral-provisioning': 'false' }),
  ]) {
    expect(isLauncherPod(p)).toBe(true);
    expect(isPlaceholderPod(p)).toBe(false);
  }
  expect(isPlaceholderPod(pod({ app: 'containerized-data-importer' }))).toBe(false);
});
