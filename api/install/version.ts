/**
 * The version of virtkit this API model belongs to: the `app.kubernetes.io/version` label of
 * the install and its default image tag. A constant, so the renderer stays pure and the
 * constructs' jsii build (which compiles api/ and constructs/ only) needs nothing else;
 * version.test.ts fails when it differs from package.json's version.
 */
export const VIRTKIT_VERSION = '0.1.0';
