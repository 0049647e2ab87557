/** Helpers for the construct tests: synth a chart and pick objects out of it. */
import { Testing, type Chart } from 'cdk8s';

/** Synthesize a chart holding exactly one object, typed as the api/ type T. */
export function synthOne<T>(chart: Chart): T {
  const out = Testing.synth(chart) as T[];
  if (out.length !== 1) throw new Error(`expected one object, got ${out.length}`);
  return out[0];
}

/** The synth error text (cdk8s joins every validation error into one message). */
export function synthError(chart: Chart): string {
  try {
    Testing.synth(chart);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('synth succeeded, but an error was expected');
}
