/** The leak detection section of BENCHMARKS.md. */

import { int, rate } from '../md-format.js';
import { table } from '../md-table.js';
import { methodNote } from '../method-notes.js';
import { type Section, section } from '../scenario-md.js';
import { leakDetection } from './leak-detection.js';

export const leakDetectionSection: Section = section(leakDetection, (results) =>
  [
    '## Leak detection',
    '',
    methodNote('leakDetection'),
    '',
    table(
      ['Node', 'precision', 'recall', 'TP', 'FP', 'FN', 'TN', 'leaky / clean scenarios × repetitions', 'body errors'],
      results.map(({ node, result: r }) => [
        String(node),
        rate(r.precision),
        rate(r.recall),
        int(r.truePositives),
        int(r.falsePositives),
        int(r.falseNegatives),
        int(r.trueNegatives),
        `${int(r.leakyScenarios)} / ${int(r.cleanScenarios)} × ${int(r.repetitions)}`,
        int(r.bodyErrors),
      ]),
    ),
    '',
    ...results.flatMap(({ node, result: { misclassified } }) => [
      misclassified.length === 0 ? `Misclassified on Node ${node}: none.` : `Misclassified on Node ${node}:`,
      ...(misclassified.length === 0 ? [] : ['', ...misclassified.map((w) => `- ${w}`)]),
      '',
    ]),
  ].join('\n'),
);
