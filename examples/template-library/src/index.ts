/**
 * @acme/vm-templates: the VM templates Acme's platform team publishes. Apps install the
 * package next to virtkit, cdk8s and constructs and instantiate the templates with typed
 * parameters; the templates reference the virtkit instancetype and preference library.
 */
export * from './web-server';
export * from './database';
