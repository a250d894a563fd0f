/** Knobs of the routes task; the config layer validates ranges, the task rejects nonsense. */
export interface RoutesOptions {
  /** Inclusive range of stores per instance. */
  stores: { min: number; max: number };
  /** 0..1: 0 = every store open all day; 1 = every store has a tight receiving window. */
  windowTightness: number;
  /** Solved examples available as shots. */
  poolSize: number;
  /** Evaluation items. */
  evalItems: number;
}

/** A receiving window, in minutes after midnight, both ends inclusive. */
export interface TimeWindow {
  open: number;
  close: number;
}

export interface RouteStore {
  /** 'A', 'B', ...: the store is called `Store A`. */
  letter: string;
  /** Service (unloading) minutes. */
  service: number;
  /** null = receives all day. */
  window: TimeWindow | null;
}

/** One routing problem. Plain JSON data so it can be recorded and reloaded. */
export interface RouteInstance {
  /** Minutes after midnight when the van leaves the depot. */
  depotStart: number;
  stores: RouteStore[];
  /** Travel minutes; index 0 is the depot, index i + 1 is stores[i]. */
  travel: number[][];
  /** Fuel cost per travel minute. */
  rate: number;
}

/** A parsed answer: the visiting order as store letters, and the cost the answer claimed. */
export interface RouteAnswer {
  stops: string[];
  statedCost: number | null;
}

export const DEPOT_NAME = 'Depot';

export function storeName(letter: string): string {
  return `Store ${letter}`;
}

/** HH:MM from minutes after midnight; no locale formatting, so output is the same everywhere. */
export function formatTime(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}

/** 'A', 'B', ... for store index 0, 1, ... */
export function letterFor(index: number): string {
  return String.fromCharCode(65 + index);
}
