/** A dated snapshot of a listed model, e.g. `openai:gpt-4o-mini-2024-07-18` or `...-20251001`, or `-latest`. */
const SNAPSHOT_SUFFIX = /-(?:\d{4}-\d{2}-\d{2}|\d{8}|latest)$/;

/** The model a dated snapshot id names (`openai:gpt-4o-mini-2024-07-18` -> `openai:gpt-4o-mini`); null when the id is not a snapshot. */
export function snapshotBase(providerId: string): string | null {
  const base = providerId.replace(SNAPSHOT_SUFFIX, '');
  return base !== providerId ? base : null;
}
