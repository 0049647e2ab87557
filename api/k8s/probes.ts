/** Kubernetes probe actions, as KubeVirt's VMI probes use them. */
import { Obj, Opt, Str, Enum, IntOrString, StringList, List, type Static } from '../schema/dsl';

export const HTTPHeader = Obj('A custom HTTP header.', {
  name: Str('Header name.'),
  value: Str('Header value.'),
});
export type HTTPHeader = Static<typeof HTTPHeader>;

export const URI_SCHEMES = ['HTTP', 'HTTPS'] as const;

export const HTTPGetAction = Obj('An HTTP GET request; any status from 200 to 399 counts as success.', {
  path: Opt(Str('Path to request.')),
  port: IntOrString('Port number or name to connect to.'),
  host: Opt(Str('Host to connect to; defaults to the VMI address.')),
  scheme: Opt(Enum('Scheme to use; defaults to HTTP.', URI_SCHEMES)),
  httpHeaders: Opt(List('Extra headers to send.', HTTPHeader)),
});
export type HTTPGetAction = Static<typeof HTTPGetAction>;

export const TCPSocketAction = Obj('A TCP connection attempt; success when the port accepts it.', {
  port: IntOrString('Port number or name to connect to.'),
  host: Opt(Str('Host to connect to; defaults to the VMI address.')),
});
export type TCPSocketAction = Static<typeof TCPSocketAction>;

export const ExecAction = Obj(
  'A command run in the guest through the guest agent; exit status 0 counts as success.',
  {
    command: Opt(StringList('Command line to run; not interpreted by a shell.')),
  },
);
export type ExecAction = Static<typeof ExecAction>;
