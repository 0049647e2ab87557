/** The importer's JSON lines as the runner reads them, and the progress throttle it reports through. */
import { ProgressThrottle } from '../importer/progress';
import { LineSplitter, parseImporterLine } from './importer-output';

it('reads progress and result lines, and ignores anything else', () => {
  expect(parseImporterLine('{"progress":"45.20%"}')).toEqual({ kind: 'progress', progress: '45.20%' });
  expect(parseImporterLine('{"phase":"Succeeded","size":1}')).toEqual({ kind: 'succeeded' });
  expect(
    parseImporterLine(
      '{"phase":"Failed","reason":"HTTPStatus","message":"expected status code 200, got 404"}',
    ),
  ).toEqual({ kind: 'failed', reason: 'HTTPStatus', message: 'expected status code 200, got 404' });
  expect(parseImporterLine('{"phase":"Failed"}')).toEqual({
    kind: 'failed',
    reason: 'Unknown',
    message: 'the importer failed',
  });
  for (const junk of ['', 'not json', '42', 'null', '{"progress":"lots"}', '{"phase":"Maybe"}'])
    expect(parseImporterLine(junk)).toBeUndefined();
});

it('splits chunks into whole lines, keeping a partial line for the next chunk', () => {
  const s = new LineSplitter();
  expect(s.push('{"progress":"1.00%"}\n{"prog')).toEqual(['{"progress":"1.00%"}']);
  expect(s.push('ress":"2.00%"}\n\n')).toEqual(['{"progress":"2.00%"}']);
});

it('lets at most one progress value a second through, and always the final one', () => {
  const t = new ProgressThrottle(1000);
  const seen = [
    t.next('0.00%', 0),
    t.next('10.00%', 300),
    t.next('20.00%', 999),
    t.next('30.00%', 1000),
    t.next('40.00%', 1500),
    t.next('100.00%', 1600, true),
  ];
  expect(seen).toEqual(['0.00%', undefined, undefined, '30.00%', undefined, '100.00%']);
});
