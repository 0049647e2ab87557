// Integration tests start real processes (a second control plane in the CLI suite): give each
// test up to five minutes on a loaded 2-core machine.
jest.setTimeout(300_000);
