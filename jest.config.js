// One jest run, three projects. Unit tests sit beside the code they test; integration
// (real kube-apiserver) and e2e (real QEMU) suites live under test/.
const tsJest = ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json', diagnostics: false }];
const common = {
  testEnvironment: 'node',
  // @kubernetes/client-node and the few dependencies of it that ship only ES modules are
  // compiled to CommonJS like our own sources.
  transform: {
    '^.+\\.ts$': tsJest,
    '^.+\\.js$': [
      'ts-jest',
      {
        isolatedModules: true,
        diagnostics: false,
        tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022' },
      },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!(@kubernetes/client-node|openid-client|oauth4webapi|jose)/)'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  // The examples import virtkit by its package name, as an outside package does; inside the
  // repository that name means the sources (tsconfig.json's paths say the same).
  moduleNameMapper: { '^virtkit/(.*)$': '<rootDir>/$1' },
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/examples/.*/dist/'],
};

module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: [
        '<rootDir>/{api,apiserver,common,kube,constructs,provider,controller,handler,launcher,cli,examples,images}/**/*.test.ts',
      ],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      // One real control plane per run, shared by every integration suite.
      globalSetup: '<rootDir>/test/integration/global-setup.ts',
      globalTeardown: '<rootDir>/test/integration/global-teardown.ts',
      // Start-ups of real components take a while on 2 cores (testTimeout is not a project option).
      setupFilesAfterEnv: ['<rootDir>/test/integration/support/timeout.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
    },
  ],
};
