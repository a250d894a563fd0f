/**
 * The `local` learner of the dataset tasks: a k-nearest-neighbour reader of the prompt's shots.
 * Unlike a fixed heuristic, it LEARNS from the examples it is shown, so its curve rises with k and
 * gives the LLM curves a reference that also gets better with shots.
 *
 * Similarity: cosine between TF-IDF vectors of words, fitted on the shots and the item together
 * (sublinear tf = 1 + ln(count), smoothed idf = 1 + ln((n + 1) / (df + 1))). Words are runs of
 * letters and digits, lower-cased; one-character words and a short English stop list are dropped.
 * Everything is deterministic: ties go to the earlier shot.
 *
 * Labels: the `KNN_NEIGHBOURS` most similar shots vote, each with its similarity. The label with
 * the most weight wins; ties (including "no shot shares a word with the item") go to the label
 * more frequent among all the shots, then to the label list's order. At k = 0 there is nothing to
 * learn from: the learner can only guess, and guesses the first label of the list.
 *
 * Outputs (generate): the output of the most similar shot. At k = 0 there is none, and the answer
 * is empty (counted as an 'empty' failure, not as a wrong answer).
 */

/** How many of the most similar shots vote. */
export const KNN_NEIGHBOURS = 5;

const STOP_WORDS = new Set(
  (
    'about above after again all also am an and any are as at be been before being but by can could did do does doing ' +
    'for from had has have having he her here hers him his how if in into is it its just me more most my myself no nor ' +
    'not now of off on once only or other our ours out over own same she should so some such than that the their them ' +
    'then there these they this those through to too under until up very was we were what when where which while who ' +
    'whom why will with would you your yours yourself im ive id dont cant its'
  ).split(' '),
);

/** Lower-cased words of letters and digits, without one-character words and stop words. */
export function tokenize(text: string): string[] {
  const words =
    text
      .toLowerCase()
      .replace(/['’]/g, '')
      .match(/[\p{L}\p{N}]+/gu) ?? [];
  return words.filter((w) => w.length > 1 && !STOP_WORDS.has(w));
}

type Vector = Map<string, number>;

/**
 * Cosine similarity of `query` to each of `docs`, with TF-IDF fitted on the docs and the query.
 * A text without words has similarity 0 to everything.
 */
export function similarities(query: string, docs: readonly string[]): number[] {
  const tokenized = [...docs, query].map(tokenize);
  const df = new Map<string, number>();
  for (const tokens of tokenized) for (const t of new Set(tokens)) df.set(t, (df.get(t) ?? 0) + 1);
  const n = tokenized.length;
  const vectors = tokenized.map((tokens) => {
    const counts = new Map<string, number>();
    for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
    const v: Vector = new Map();
    let norm = 0;
    for (const [t, c] of counts) {
      const w = (1 + Math.log(c)) * (1 + Math.log((n + 1) / (df.get(t)! + 1)));
      v.set(t, w);
      norm += w * w;
    }
    norm = Math.sqrt(norm);
    if (norm > 0) for (const [t, w] of v) v.set(t, w / norm);
    return v;
  });
  const q = vectors[n - 1]!;
  return vectors.slice(0, n - 1).map((v) => {
    let dot = 0;
    const [small, large] = v.size < q.size ? [v, q] : [q, v];
    for (const [t, w] of small) {
      const other = large.get(t);
      if (other !== undefined) dot += w * other;
    }
    return dot;
  });
}

export interface LabelledShot {
  text: string;
  label: string;
}

/**
 * The label the shots suggest for `text` (see the module comment). `labels` is the task's label
 * list; a shot label outside it still counts (the task makes sure there is none).
 */
export function knnLabel(text: string, shots: readonly LabelledShot[], labels: readonly string[], neighbours = KNN_NEIGHBOURS): string {
  if (labels.length === 0) throw new Error('knn: no labels');
  if (shots.length === 0) return labels[0]!;
  const sims = similarities(
    text,
    shots.map((s) => s.text),
  );
  const nearest = shots
    .map((shot, i) => ({ shot, sim: sims[i]!, i }))
    .sort((a, b) => b.sim - a.sim || a.i - b.i)
    .slice(0, Math.max(1, neighbours));

  const weight = new Map<string, number>();
  for (const { shot, sim } of nearest) weight.set(shot.label, (weight.get(shot.label) ?? 0) + sim);
  const count = new Map<string, number>();
  for (const shot of shots) count.set(shot.label, (count.get(shot.label) ?? 0) + 1);

  // Candidates: every label known, the task's order first.
  const candidates = [...labels, ...[...count.keys()].filter((l) => !labels.includes(l))];
  const order = new Map(candidates.map((l, i) => [l, i]));
  const EPS = 1e-12;
  return candidates.slice().sort((a, b) => {
    const dw = (weight.get(b) ?? 0) - (weight.get(a) ?? 0);
    if (Math.abs(dw) > EPS) return dw;
    const dc = (count.get(b) ?? 0) - (count.get(a) ?? 0);
    if (dc !== 0) return dc;
    return order.get(a)! - order.get(b)!;
  })[0]!;
}

export interface OutputShot {
  text: string;
  output: string;
}

/** The output of the shot most similar to `text` (the earliest on ties); '' without shots. */
export function nearestOutput(text: string, shots: readonly OutputShot[]): string {
  if (shots.length === 0) return '';
  const sims = similarities(
    text,
    shots.map((s) => s.text),
  );
  let best = 0;
  sims.forEach((sim, i) => {
    if (sim > sims[best]! + 1e-12) best = i;
  });
  return shots[best]!.output;
}
