/** Access credentials: SSH keys and user passwords KubeVirt injects into the guest. */
import { Obj, Opt, Str, Empty, ListSet, type Static } from '../../schema/dsl';

export const AccessCredentialSecretSource = Obj('A Secret in the namespace of the VMI.', {
  secretName: Str('Name of the Secret.'),
});
export type AccessCredentialSecretSource = Static<typeof AccessCredentialSecretSource>;

export const QemuGuestAgentSSHPublicKeyAccessCredentialPropagation = Obj(
  'Write the keys at runtime through the QEMU guest agent.',
  {
    users: ListSet('Guest users whose authorized_keys file receives the keys.', Str('A guest user name.')),
  },
);

export const SSHPublicKeyAccessCredentialPropagationMethod = Obj(
  'How SSH public keys reach the guest; exactly one member is set.',
  {
    configDrive: Opt(Empty('Pass the keys in config drive metadata at boot.')),
    noCloud: Opt(Empty('Pass the keys in NoCloud metadata at boot.')),
    qemuGuestAgent: Opt(QemuGuestAgentSSHPublicKeyAccessCredentialPropagation),
  },
);

export const SSHPublicKeyAccessCredential = Obj('SSH public keys and how they are injected.', {
  source: Obj('Where the keys come from; exactly one member is set.', {
    secret: Opt(AccessCredentialSecretSource),
  }),
  propagationMethod: SSHPublicKeyAccessCredentialPropagationMethod,
});
export type SSHPublicKeyAccessCredential = Static<typeof SSHPublicKeyAccessCredential>;

export const UserPasswordAccessCredential = Obj(
  'Guest user passwords (user name to password in the Secret) and how they are set.',
  {
    source: Obj('Where the passwords come from; exactly one member is set.', {
      secret: Opt(AccessCredentialSecretSource),
    }),
    propagationMethod: Obj('How the passwords reach the guest; exactly one member is set.', {
      qemuGuestAgent: Opt(Empty('Set the passwords at runtime through the QEMU guest agent.')),
    }),
  },
);
export type UserPasswordAccessCredential = Static<typeof UserPasswordAccessCredential>;

export const AccessCredential = Obj(
  'A credential injected into the guest for remote access; exactly one member is set.',
  {
    sshPublicKey: Opt(SSHPublicKeyAccessCredential),
    userPassword: Opt(UserPasswordAccessCredential),
  },
);
export type AccessCredential = Static<typeof AccessCredential>;
