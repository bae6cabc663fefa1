/**
 * The README's headline block: the verdict table of a results folder (headline.ts), beside its
 * prediction, rendered for the front page between the markers <!-- headline:start --> and
 * <!-- headline:end -->. It is generated, never typed: `npm run headline` rewrites the block from
 * results/full-default, and a test fails when the committed README and the committed records
 * disagree.
 */
import { CkdError } from '../errors';
import { PAPER_MODELS } from './paper';
import { headlineTable } from './headline';
import { plainAndCkdSeeds, planPreset } from './reproduce-plan';
import { ReproductionView, finishedRecords, outcomeOf, presetRecords } from './reproduce';
import { formatCell } from './tables';

export const HEADLINE_START = '<!-- headline:start -->';
export const HEADLINE_END = '<!-- headline:end -->';

/** The folder the README's headline is read from, relative to the project folder. */
export const HEADLINE_RESULTS = 'results/full-default';

/** The paper's spelling of a backbone ('egogcn' -> 'EgoGCN'). */
function paperName(model: string): string {
  return PAPER_MODELS.find(m => m.toLowerCase() === model) ?? model;
}

/** The block (markers included) for the results folder `resultsDir` opened as `v`. */
export function readmeHeadline(v: ReproductionView, resultsDir: string): string {
  const prediction = v.preset.prediction;
  if (prediction?.dataset !== v.dataset.name) throw new CkdError(`${resultsDir}: preset ${v.preset.name} on '${v.dataset.name}' has no registered prediction, so no headline`);
  const records = presetRecords(v);
  const table = headlineTable(records.map(r => outcomeOf(r, v.dataset.name)), prediction.rows, prediction.document);
  const plan = planPreset(v.preset, v.dataset.fingerprint, undefined, v.store);
  // Every planned cell counts, the learning-rate walks and the payoff experiment's included, as in the plan.
  const done = finishedRecords(plan.cells, v.store).length;
  const complete = done === plan.cells.length && !plan.waiting;
  const col = (name: string) => table.columns.indexOf(name);
  const cell = (row: (typeof table.rows)[number], name: string) => formatCell(row[col(name)], table.formats[col(name)]);
  const lines = [
    HEADLINE_START,
    `**Does CKD lift the fused model? The converging grid, ${complete ? `complete (${done} cells)` : `in progress (${done} of ${plan.cells.length} cells)`}**: embedded`,
    `\`${v.dataset.name}\` data, the paper's protocol run to convergence, beside the prediction committed before its first`,
    `cell ([prediction](${prediction.document}), [records](${resultsDir}/store.jsonl), [tables](${resultsDir}/tables.md)):`,
    '',
    '| backbone | predicted | seeds | plain | CKD | gain | 95% CI | p | in range |',
    '|---|---|--:|--:|--:|--:|---|--:|---|',
  ];
  for (const row of table.rows) {
    const model = String(row[col('backbone')]);
    const seeds = Number(row[col('seeds')]);
    const planned = plainAndCkdSeeds(v.preset, model).length;
    const head = `| ${paperName(model)} | ${cell(row, 'predicted gain%')} | ${seeds} of ${planned} |`;
    if (seeds === 0) {
      lines.push(`${head} - | - | - | - | - | pending |`);
      continue;
    }
    const gain = `${cell(row, 'gain%')}%`;
    const helps = row[col('CKD helps')] === 'yes';
    lines.push(`${head} ${cell(row, 'plain R@20')} | ${cell(row, 'CKD R@20')} | ${helps ? `**${gain}**` : gain} | ${cell(row, 'gain% 95% CI')} | ${cell(row, 'p seeds')} | ${cell(row, 'in predicted range')} |`);
  }
  lines.push('', 'gain: CKD over plain, fused test Recall@20, paired by seed; p: paired t-test over seeds; bold: CKD helps (gain > 0, p <= 0.05); seeds: recorded of planned.', HEADLINE_END);
  return lines.join('\n');
}

/** `readme` with its headline block replaced by `block`; `file` names it in the error when a marker is missing. */
export function withHeadline(readme: string, block: string, file: string): string {
  const start = readme.indexOf(HEADLINE_START);
  const end = readme.indexOf(HEADLINE_END);
  if (start < 0 || end < start) throw new CkdError(`${file}: no ${HEADLINE_START} ... ${HEADLINE_END} block to replace`);
  return readme.slice(0, start) + block + readme.slice(end + HEADLINE_END.length);
}
