/** Test helpers shared by the templates, network, storage and ops tests (not part of the public API). */
import { Testing, type Chart } from 'cdk8s';
import { AppValidation, validateApp, type AppValidationReport } from '../core';

/** A fresh chart whose app warnings are collected instead of printed. */
export function quietChart(namespace?: string): Chart {
  const chart = Testing.chart();
  if (namespace !== undefined) {
    // Testing.chart() takes no props; a chart's namespace is read-only after construction.
    Object.defineProperty(chart, 'namespace', { value: namespace });
  }
  AppValidation.of(chart).warningSink = { warn: () => undefined };
  return chart;
}

/** Every error and warning of the chart's app. */
export function report(chart: Chart): AppValidationReport {
  return validateApp(chart.node.root);
}

/** The synthesized manifests of the chart. */
export function synth(chart: Chart): Record<string, unknown>[] {
  return Testing.synth(chart) as Record<string, unknown>[];
}

/** The one manifest of the given kind (fails the test when there is not exactly one). */
export function manifestOf(chart: Chart, kind: string): Record<string, unknown> {
  const found = synth(chart).filter((m) => m.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0];
}
