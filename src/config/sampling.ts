// `sampling:` in the experiment (issue 17): `full` asks every item in every cell (the default);
// `adaptive` lets items in by looks and stops a curve once its label is decided (runner/sweep.ts
// runs the looks, analysis/sequential.ts keeps the labels' error at alpha over all of them).
import { z } from 'zod';

export const samplingSchema = z
  .object({
    mode: z.enum(['full', 'adaptive'], { message: 'expected full (every item in every cell) or adaptive (looks until each curve is decided)' }).default('full'),
    /** Items a curve may take at most; default: every evaluation item. */
    maxItems: z.number().int().min(2).optional(),
    /** Items of the first look; default: a quarter of maxItems. */
    firstLook: z.number().int().min(1).optional(),
    /** Items each later look adds; default: a quarter of maxItems. */
    step: z.number().int().min(1).optional(),
  })
  .strict();

export type SamplingConfig = z.output<typeof samplingSchema>;

/** A sampling plan with every number resolved against the task's evaluation items. */
export interface ResolvedSampling {
  mode: 'full' | 'adaptive';
  maxItems: number;
  firstLook: number;
  step: number;
}

/** Looks at a quarter, half, three quarters and all of maxItems unless the experiment says otherwise. */
export const DEFAULT_LOOKS = 4;

/** The experiment's sampling with its defaults filled in for `items` evaluation items (maxItems never above them). */
export function resolveSampling(sampling: SamplingConfig | undefined, items: number): ResolvedSampling {
  const mode = sampling?.mode ?? 'full';
  const maxItems = Math.min(sampling?.maxItems ?? items, items);
  const quarter = Math.max(1, Math.ceil(maxItems / DEFAULT_LOOKS));
  return { mode, maxItems, firstLook: Math.min(sampling?.firstLook ?? quarter, maxItems), step: sampling?.step ?? quarter };
}

/** The cumulative item counts of the looks: firstLook, then step more each time, up to maxItems. */
export function lookSchedule(firstLook: number, step: number, maxItems: number): number[] {
  const looks: number[] = [];
  for (let n = Math.min(firstLook, maxItems); ; n = Math.min(n + step, maxItems)) {
    looks.push(n);
    if (n >= maxItems) return looks;
  }
}

/** One curve of a sweep, as adaptive sampling tracks it: provider (its name), prompt variant, selector. */
export function curveKey(provider: string, prompt: string, selector: string): string {
  return `${provider}\u0000${prompt}\u0000${selector}`;
}

/** One cell of a curve (k > 0), as adaptive sampling stops it: the curve's key and k. */
export function cellKey(provider: string, prompt: string, selector: string, k: number): string {
  return `${curveKey(provider, prompt, selector)}\u0000${k}`;
}

export function splitCurveKey(key: string): [provider: string, prompt: string, selector: string] {
  const [provider = '', prompt = '', selector = ''] = key.split('\u0000');
  return [provider, prompt, selector];
}
