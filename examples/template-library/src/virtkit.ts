/**
 * The one place this package names virtkit. Inside the virtkit repository it points at the
 * sources; in the published package it is `export * from 'virtkit/constructs';`.
 */
export * from '../../../constructs';
