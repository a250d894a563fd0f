/** A chat turn, in the provider-neutral form every provider adapter maps from. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

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

/**
 * A quality measure a task records in ScoreDetails beside the score, valued in [0, 1]
 * (a boolean counts as 0/1). Reports show it per cell with an interval, like accuracy.
 */
export interface TaskMeasure {
  key: string;
  label: string;
  description: string;
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
  /** Synchronous for exact scoring; a promise where a judge model scores (AdaptGauge's llm_judge). */
  score(answer: A, item: TaskItem<D>): ScoreResult | Promise<ScoreResult>;
  /**
   * The task's built-in non-LLM reference answer (the `local` provider), as raw text in the
   * same format an LLM is asked for, so it goes through parse and score like any answer.
   */
  baseline(item: TaskItem<D>, shots: readonly TaskItem<D>[]): string;
  /** The [0, 1] details worth aggregating per cell (partial quality beside the 0/1 score). */
  readonly measures: readonly TaskMeasure[];
  /** One line describing how the baseline works, for the report. */
  readonly baselineDescription: string;
}

/** A task scored exactly, without a judge: its score is synchronous. */
export type ExactTask<D = unknown, A = unknown> = Omit<Task<D, A>, 'score'> & {
  score(answer: A, item: TaskItem<D>): ScoreResult;
};
