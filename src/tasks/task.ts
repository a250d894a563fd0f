import type { ChatMessage, CompletionRequest, CompletionResult } from '../providers/provider.js';

/** A chat turn: providers define it (their contract), tasks render prompts as it. */
export type { ChatMessage } from '../providers/provider.js';

/**
 * One example (a shot in the pool) or one evaluation item.
 * `text` is the normalized content view: the leakage guard compares it,
 * and similarity selectors (later) index it.
 */
export interface TaskItem<D = unknown> {
  id: string;
  text: string;
  data: D;
  /** Class label, for label tasks and label-balanced selection. */
  label?: string;
}

export type ParseResult<A> = { ok: true; answer: A } | { ok: false; reason: string };

/** Extra, task-specific quality measures recorded beside the score. */
export type ScoreDetails = Record<string, number | boolean | string | null>;

export interface ScoreResult {
  /** In [0, 1]; 1 is a fully correct answer. */
  score: number;
  details: ScoreDetails;
}

/** Which of the experiment's scoring models a ModelCall asks: AdaptGauge's `task.judge`. */
export type ScoringRole = 'judge';

/** What a scorer asks its model: messages, and the sampling settings it needs (no provider, no key). */
export type ScoringRequest = Pick<CompletionRequest, 'messages' | 'temperature' | 'maxOutputTokens'>;

/** The model's reply a ModelCall's `finish` reads. */
export interface ModelReply extends Pick<CompletionResult, 'text' | 'finishReason' | 'tokensIn' | 'tokensOut'> {
  /** The provider id that answered, e.g. `openai:gpt-4o-mini`. */
  provider: string;
}

/**
 * Scoring that needs a model (AdaptGauge's llm_judge), described rather than made: tasks never hold
 * a provider. The runner makes the call through the same path as answer calls (response cache,
 * budget, retries and rate limits, progress, cost; runner/score.ts) and hands the reply to `finish`.
 * A call that fails, or a reply `finish` cannot read (it throws), is a failed measurement.
 */
export interface ModelCall {
  kind: 'needs-model';
  role: ScoringRole;
  request: ScoringRequest;
  /** The score from the reply; throws, with a message saying why, when the reply carries none. */
  finish(reply: ModelReply): ScoreResult;
}

/**
 * Scoring by a module of the user's own (`scoring: { module }`; ./scorer-module.ts), which may be
 * asynchronous: the runner awaits `run()` within `timeoutMs` (settleModuleScoring). `run()` rejects,
 * with a message saying why, when the scorer throws, rejects or returns something that is not a
 * score in [0, 1] (with valid details): a *scorer failure*, recorded on the trial, never a crash.
 */
export interface ModuleScoring {
  kind: 'needs-module';
  /** The module as the experiment names it, e.g. `./scorers/refund.mjs` (for messages). */
  module: string;
  timeoutMs: number;
  run(): Promise<ScoreResult>;
}

/** What Task.score returns: a score, the model call that will give one, or a scorer module's call to await. */
export type Scoring = ScoreResult | ModelCall | ModuleScoring;

export function isModelCall(scoring: Scoring): scoring is ModelCall {
  return (scoring as Partial<ModelCall>).kind === 'needs-model';
}

export function isModuleScoring(scoring: Scoring): scoring is ModuleScoring {
  return (scoring as Partial<ModuleScoring>).kind === 'needs-module';
}

/** What the runner knows of a trial beyond the parsed answer, for scorers that read it (a scorer module). */
export interface ScoreContext {
  /** The raw reply text. */
  reply: string;
  k: number;
  /** The ids of the shots shown, in prompt order. */
  shotIds: readonly string[];
}

/**
 * A quality measure a task records in ScoreDetails beside the score, valued in [0, 1]
 * (a boolean counts as 0/1). Reports show it per cell with an interval, like accuracy.
 */
export interface TaskMeasure {
  key: string;
  label: string;
  description: string;
}

/** A prompt template file as the fingerprint records it: its path as written (relative to the experiment) and the sha256 of its content. */
export interface TemplateFile {
  name: string;
  sha256: string;
}

export interface TaskData<D> {
  pool: TaskItem<D>[];
  items: TaskItem<D>[];
  /** Off-task examples, for the optional distractor arm (AdaptGauge packs have them). */
  distractors?: TaskItem<D>[];
  /** Human-readable notes about loading, e.g. items refused by the leakage guard. */
  notices: string[];
}

/**
 * A task: where examples come from, how a prompt is written, how an answer is read and scored.
 * Everything here is deterministic given the experiment seed.
 */
export interface Task<D = unknown, A = unknown> {
  readonly type: string;
  load(): TaskData<D>;
  render(shots: readonly TaskItem<D>[], item: TaskItem<D>): ChatMessage[];
  parse(text: string): ParseResult<A>;
  /**
   * A score for exact scoring; a ModelCall where a model scores (AdaptGauge's llm_judge), which the
   * runner makes; a ModuleScoring where a scorer module scores, which the runner awaits. `context`
   * is what the runner knows of the trial (the raw reply, k, the shots).
   */
  score(answer: A, item: TaskItem<D>, context?: ScoreContext): Scoring;
  /**
   * Asynchronous checks that must pass before any call (a scorer module is imported and tried on
   * the first item): throws a TaskDataError (exit 2) when the task cannot run; returns notices.
   * runner/prepare.ts's prepareTasks awaits it for validate and sweep.
   */
  prepare?(): Promise<string[]>;
  /**
   * The task's built-in non-LLM reference answer (the `local` provider), as raw text in the
   * same format an LLM is asked for, so it goes through parse and score like any answer.
   */
  baseline(item: TaskItem<D>, shots: readonly TaskItem<D>[]): string;
  /** The [0, 1] details worth aggregating per cell (partial quality beside the 0/1 score). */
  readonly measures: readonly TaskMeasure[];
  /** One line describing how the baseline works, for the report. */
  readonly baselineDescription: string;
  /** The experiment's prompt template files (`prompts:`), when the prompt is not the task's built-in one. */
  readonly templateFiles?: readonly TemplateFile[];
  /** Files that score the answers (a scorer module, a judge's rubric): their content changes scores, not prompts. */
  readonly scoringFiles?: readonly TemplateFile[];
}

/** A task scored exactly, without a model: its score is always a ScoreResult. */
export type ExactTask<D = unknown, A = unknown> = Omit<Task<D, A>, 'score'> & {
  score(answer: A, item: TaskItem<D>, context?: ScoreContext): ScoreResult;
};
