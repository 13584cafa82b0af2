/**
 * A scenario's section of BENCHMARKS.md: its renderer gets the scenario's results, typed, on every Node version
 * that has one, and a Node version without one is named at the end of the section.
 */

import { cores, num } from './md-format.js';
import type { NodeResults } from './results.js';
import type { ChildRun, Scenario } from './scenario.js';

/** A scenario's result on one Node version. */
export interface Measured<R> {
  /** The Node major version, e.g. 20. */
  readonly node: number;
  readonly result: R;
}

/** A section of BENCHMARKS.md, its scenario's result type hidden. */
export interface Section {
  /**
   * The section.
   *
   * @param files - every results file, oldest Node first
   * @returns markdown, or undefined when no Node version has a result of the section's scenario
   */
  render(files: readonly NodeResults[]): string | undefined;
}

/**
 * A scenario's results, on every Node version that has one.
 *
 * @param files - every results file, oldest Node first
 * @param scenario - the scenario
 * @returns its results, oldest Node first
 */
function measuredOn<R>(files: readonly NodeResults[], scenario: Scenario<R>): Measured<R>[] {
  return files.flatMap((file) => {
    const result = file.resultOf(scenario);
    return result === undefined ? [] : [{ node: file.node, result }];
  });
}

/**
 * The section of a scenario.
 *
 * @param scenario - the scenario
 * @param render - the section (heading, method note, tables) from the scenario's results, oldest Node first
 * @returns the section; it ends with `Not measured on Node <n>.` when a Node version has no result of the scenario
 */
export function section<R>(scenario: Scenario<R>, render: (results: readonly Measured<R>[]) => string): Section {
  return {
    render(files) {
      const results = measuredOn(files, scenario);
      if (results.length === 0) return undefined;
      const missing = files.filter((file) => file.resultOf(scenario) === undefined).map((file) => `Node ${file.node}`);
      return missing.length === 0 ? render(results) : `${render(results)}\n\nNot measured on ${missing.join(', ')}.`;
    },
  };
}

/**
 * One table row per child of a scenario measured in several children: Node, child, its figures, the other load.
 *
 * @param results - the scenario's results
 * @param children - a result's children
 * @param figures - a child's figures, in the table's order
 * @returns the rows, by Node version, then child
 */
export function childRows<R, C extends ChildRun>(
  results: readonly Measured<R>[],
  children: (result: R) => readonly C[],
  figures: (child: C) => readonly number[],
): string[][] {
  return results.flatMap(({ node, result }) =>
    children(result).map((child, i) => [
      String(node),
      String(i + 1),
      ...figures(child).map((v) => num(v)),
      cores(child.backgroundCores),
    ]),
  );
}
