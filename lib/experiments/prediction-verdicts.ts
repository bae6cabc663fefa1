/**
 * A registered prediction decided from records: holds, fails, or open (not all of what it needs is
 * recorded yet), with what the records say. The payoff experiment's (payoff-predictions.ts) and
 * the converging grid's (grid-predictions.ts) are built on it.
 */
import { ResultTable } from './tables';

export type Verdict = 'holds' | 'fails' | 'open';

export interface PredictionVerdict {
  id: string;
  prediction: string;
  verdict: Verdict;
  /** What the records say (for an open prediction, what it waits for and the provisional reading). */
  detail: string;
}

/** Verdicts as a table: `evidence` names the last column ('the points', 'the records'). */
export function verdictTable(title: string, evidence: string, verdicts: readonly PredictionVerdict[], notes: string[]): ResultTable {
  return {
    title, columns: ['#', 'prediction', 'verdict', `what ${evidence} say`], formats: ['text', 'text', 'text', 'text'],
    rows: verdicts.map(v => [v.id, v.prediction, v.verdict, v.detail]), notes,
  };
}
