/**
 * Generations from the history alone. Trial number k belongs to generation
 * ⌊k / population_size⌋; generation 0 is drawn from the prior. The parents
 * of generation g are P(g), where P(1) is the best population_size of
 * generation 0's finished trials and P(g + 1) the best population_size of
 * P(g) together with generation g's finished trials (elitist survival,
 * selection.ts). "Finished" means COMPLETE with its objective values, as the
 * history says now: RUNNING trials are never parents, and a straggler joins
 * its generation's pool when it finishes, so no result is lost. Everything is
 * recomputed from the history (a memo skips generations whose inputs did not
 * change), so a restarted or another server derives the same parents.
 */
import type { Observation } from "../types.js";
import { type Individual, selectElite, violationOf } from "./selection.js";

export interface Member extends Individual {
  readonly obs: Observation;
}

/** How a history's trials are read: several objectives (values) or one (loss), constraints or not. */
export interface Reading {
  readonly multi: boolean;
  readonly constrained: boolean;
}

export function readingOf(history: readonly Observation[]): Reading {
  let multi = false;
  let constrained = false;
  for (const o of history) {
    if (o.values !== undefined) multi = true;
    if (o.constraints !== undefined) constrained = true;
  }
  return { multi, constrained };
}

/** The trial as selection sees it, or undefined when it is not a finished trial with objective values. */
export function memberOf(o: Observation, reading: Reading): Member | undefined {
  if (o.state !== "complete") return undefined;
  const values = reading.multi ? o.values : o.loss === undefined ? undefined : [o.loss];
  if (values === undefined) return undefined;
  return { obs: o, values, violation: violationOf(o.constraints, reading.constrained) };
}

const NONE: readonly Member[] = [];

interface Memo {
  readonly previous: readonly Member[];
  /** Numbers of the generation's COMPLETE trials the population was selected with. */
  readonly numbers: readonly number[];
  readonly population: readonly Member[];
}

/** Parent populations by generation, recomputed only where their inputs changed. */
export class Populations {
  private memos: Memo[] = [];
  private readingKey = "";

  constructor(private readonly size: number) {}

  generationOf(trialNumber: number): number {
    return Math.floor(trialNumber / this.size);
  }

  /** P(g): the parents of generation `g` (empty for generation 0). */
  parentsOf(g: number, history: readonly Observation[]): readonly Member[] {
    const reading = readingOf(history);
    const rk = `${reading.multi}/${reading.constrained}`;
    if (rk !== this.readingKey) {
      this.memos = [];
      this.readingKey = rk;
    }
    const complete: Observation[][] = Array.from({ length: g }, () => []);
    for (const o of history) {
      if (o.state !== "complete") continue;
      const h = this.generationOf(o.number);
      if (h < g) complete[h]!.push(o);
    }
    let population: readonly Member[] = NONE;
    for (let h = 0; h < g; h++) {
      const trials = complete[h]!;
      const memo = this.memos[h];
      if (memo !== undefined && memo.previous === population && sameNumbers(memo.numbers, trials)) {
        population = memo.population;
        continue;
      }
      const pool = [...population];
      for (const o of trials) {
        const m = memberOf(o, reading);
        if (m !== undefined) pool.push(m);
      }
      const next = selectElite(pool, this.size).map((i) => pool[i]!);
      this.memos[h] = { previous: population, numbers: trials.map((o) => o.number), population: next };
      this.memos.length = h + 1;
      population = next;
    }
    return population;
  }
}

function sameNumbers(numbers: readonly number[], trials: readonly Observation[]): boolean {
  if (numbers.length !== trials.length) return false;
  for (let i = 0; i < numbers.length; i++) if (numbers[i] !== trials[i]!.number) return false;
  return true;
}
