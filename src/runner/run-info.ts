import type { TaskMeasure } from '../tasks/task.js';
import type { SpendRecord } from './budget.js';
import type { PromptFingerprint } from './fingerprint.js';

/** results/<run>/run.json: what was run, with what, when, and what was skipped. */
export interface RunInfo {
  runId: string;
  experiment: { name: string; path: string };
  /** The experiment after defaults were applied (never holds secrets: keys come from the environment). */
  config: unknown;
  seed: number;
  tool: { name: string; version: string };
  git: { commit: string | null; dirty: boolean | null };
  startedAt: string;
  endedAt: string | null;
  status: 'running' | 'complete' | 'partial';
  providers: ProviderStatus[];
  /** Task-level notes (e.g. items refused by the leakage guard) and run-level notes. */
  notices: string[];
  plannedTrials: number;
  completedTrials: number;
  /** Real cost of the calls made, against the experiment's `budget` (absent in runs from older versions). */
  spend?: SpendRecord;
  /** Hashes of the prompt template, the answer-shaping settings and the items, with a rendered template, for `fewshot compare` (absent in older runs and imports). */
  prompt?: PromptFingerprint;
  task: { type: string; poolSize: number; evalItems: number; baseline: string; measures: TaskMeasure[] };
}

export interface ProviderStatus {
  id: string;
  status: 'ran' | 'skipped';
  /** Why a provider was skipped, e.g. "set OPENAI_API_KEY to run it". */
  reason?: string;
}
