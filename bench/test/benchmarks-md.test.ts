import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { BEGIN_MARKER, END_MARKER, renderResults } from '../src/benchmarks-md.js';
import { BENCHMARKS_MD, checkResults, type ResultsFile, readAllResults, resultsPath } from '../src/results.js';
import { scenarios } from '../src/scenarios/index.js';

/** The committed results files, as written, by Node version. */
async function committed(): Promise<Map<number, ResultsFile>> {
  return new Map((await readAllResults(scenarios)).map((results) => [results.node, results.file]));
}

describe('the results files', () => {
  it('hold results of every scenario of their types, each described field for field', async () => {
    const files = await committed();
    expect(files.size).toBeGreaterThan(0);
    for (const [node, file] of files) {
      const results = checkResults(resultsPath(node), file, scenarios);
      for (const scenario of scenarios) {
        const raw = file.scenarios[scenario.name];
        // What the type does not describe would be dropped when read back: nothing is.
        expect(results.resultOf(scenario), `${scenario.name} on Node ${node}`).toEqual(raw);
      }
    }
  });

  it('are refused when a result is not of its scenario type, with where', async () => {
    const [node, file] = [...(await committed())][0]!;
    const sampler = file.scenarios.sampler as Record<string, unknown>;
    const broken = { ...file, scenarios: { ...file.scenarios, sampler: { ...sampler, idleCpuPct: '0.2' }, gone: {} } };
    expect(() => checkResults(resultsPath(node), broken, scenarios)).toThrow(
      /"sampler" is not of its type:\n.*expected number, received string\n.*at idleCpuPct\n"gone" is no scenario's name/,
    );
  });
});

describe('BENCHMARKS.md', () => {
  it('is what the committed results files render to', async () => {
    const text = await readFile(BENCHMARKS_MD, 'utf8');
    const generated = text.slice(text.indexOf(BEGIN_MARKER) + BEGIN_MARKER.length, text.indexOf(END_MARKER)).trim();
    expect(renderResults(await readAllResults(scenarios))).toBe(generated);
  });

  it('says which Node versions a scenario was not measured on', async () => {
    const files = [...(await committed())];
    const without = ([node, file]: [number, ResultsFile], names: readonly string[]) => {
      const kept = Object.entries(file.scenarios).filter(([name]) => !names.includes(name));
      return checkResults(resultsPath(node), { ...file, scenarios: Object.fromEntries(kept) }, scenarios);
    };
    const [first, last] = [files[0]!, files.at(-1)!];
    expect(first[0]).toBeLessThan(last[0]);
    const md = renderResults([without(first, ['cleanup']), without(last, ['sampler', 'overhead.http'])]);
    const section = (heading: string): string => md.slice(md.indexOf(heading)).split('\n## ')[0]!.trimEnd();
    expect(section('## Cleanup latency')).toMatch(new RegExp(`\n\nNot measured on Node ${first[0]}\\.$`));
    expect(section('## Cost of the sampler')).toMatch(new RegExp(`\n\nNot measured on Node ${last[0]}\\.$`));
    expect(md).toMatch(new RegExp(`\n\\| overhead\\.http +\\| ${last[0]} +\\| not measured +\\|`));
    expect(md).toMatch(/\n\| sampler\.idleCpuPct +\|[^\n]*\| [\d.]+ % \(ours (not )?met\) +\| not measured +\|\n/);
  });
});
