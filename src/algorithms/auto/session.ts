/**
 * `auto` in one process: each suggestion asks the rule (rule.ts) which
 * algorithm proposes it and delegates to that algorithm's own session, kept
 * for the next time it is chosen. The service does not use this (it
 * resolves the rule itself, to run the GP off the event loop); the benches
 * do, and a test checks both agree.
 */
import type { Rng } from "../../math/rng.js";
import type { Config, Space } from "../../space/types.js";
import { algorithmNamed } from "../registry.js";
import type { SharedMemos } from "../shared-memos.js";
import type { AlgorithmSession, Observation, SuggestContext } from "../types.js";
import {
  type AutoAlgorithm,
  type AutoChoice,
  type AutoOptions,
  type AutoSettings,
  autoChoice,
  historyFacts,
  type SpaceShape,
  spaceShape,
} from "./rule.js";

export class AutoSession implements AlgorithmSession {
  private readonly shape: SpaceShape;
  private readonly sessions = new Map<AutoAlgorithm, AlgorithmSession>();
  private readonly counts: Record<string, number> = {};
  /** The choice behind the last suggestion. */
  last: AutoChoice | undefined;

  constructor(
    private readonly space: Space,
    private readonly settings: AutoSettings,
    private readonly options: AutoOptions,
    private readonly memos?: SharedMemos,
  ) {
    this.shape = spaceShape(space);
  }

  suggest(history: readonly Observation[], rng: Rng, context?: SuggestContext): Config {
    const choice = autoChoice(this.shape, this.settings, historyFacts(history), this.options);
    this.last = choice;
    let s = this.sessions.get(choice.algorithm);
    if (s === undefined) {
      const a = algorithmNamed(choice.algorithm);
      s = a.open(this.space, a.parseOptions({}), this.memos);
      this.sessions.set(choice.algorithm, s);
    }
    this.counts[choice.algorithm] = (this.counts[choice.algorithm] ?? 0) + 1;
    return s.suggest(history, rng, context);
  }

  /** Suggestions per proposing algorithm so far (benches). */
  proposerCounts(): Record<string, number> {
    return { ...this.counts };
  }
}
