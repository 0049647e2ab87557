import { readinessGatesProblem } from './readiness-gates';

const gates = (...types: string[]) => ({ readinessGates: types.map((conditionType) => ({ conditionType })) });

describe('readiness gates, judged as kubelet judges them', () => {
  it('pass with no gates, or every gate True', () => {
    expect(readinessGatesProblem({})).toBeUndefined();
    expect(
      readinessGatesProblem({
        spec: gates('a.example/x', 'b.example/y'),
        status: {
          conditions: [
            { type: 'a.example/x', status: 'True' },
            { type: 'b.example/y', status: 'True' },
          ],
        },
      }),
    ).toBeUndefined();
  });

  it('name every gate that is missing or not True, joined as kubelet joins them', () => {
    expect(
      readinessGatesProblem({
        spec: gates('a.example/x', 'b.example/y'),
        status: { conditions: [{ type: 'b.example/y', status: 'Unknown' }] },
      }),
    ).toEqual({
      reason: 'ReadinessGatesNotReady',
      message:
        'corresponding condition of pod readiness gate "a.example/x" does not exist., the status of pod readiness gate "b.example/y" is not "True", but Unknown',
    });
  });
});
