import type { TaskItem } from '../src/tasks/task.js';
import { Rng } from '../src/util/rng.js';

/** Short texts from a small seeded vocabulary with Zipf-ish frequencies (so terms repeat across examples). */
export function syntheticPool(size: number, seed: string, vocabulary = 60, labels: string[] = []): TaskItem<null>[] {
  const rng = new Rng([seed]);
  const words = Array.from({ length: vocabulary }, (_, i) => `w${i.toString(36)}`);
  const weights = words.map((_, i) => 1 / (i + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const draw = (): string => {
    let x = rng.next() * total;
    for (let i = 0; i < words.length; i++) {
      x -= weights[i] as number;
      if (x < 0) return words[i] as string;
    }
    return words[words.length - 1] as string;
  };
  return Array.from({ length: size }, (_, i) => {
    const text = Array.from({ length: rng.int(3, 9) }, draw).join(' ');
    const label = labels.length > 0 ? labels[i % labels.length] : undefined;
    return { id: `${seed}-${i}`, text, data: null, ...(label !== undefined ? { label } : {}) };
  });
}
