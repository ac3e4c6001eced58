/**
 * The scratch memory of one TPE session: buffers the numerics reuse from
 * call to call instead of allocating (and the GC reclaiming) them on every
 * suggestion, grown on demand. A session owns one and passes it down; it is
 * read only while one of that session's calls runs and carries no result
 * from one call to the next, so it never changes a suggestion.
 */
import { PickScratch } from "./candidates.js";
import { ContinuousScratch } from "./continuous-density.js";
import { MixedScratch } from "./mixed-density.js";
import { SortScratch } from "./sorted-order.js";

export class TpeWorkspace {
  readonly sort = new SortScratch();
  readonly continuous = new ContinuousScratch();
  readonly mixed = new MixedScratch();
  readonly pick = new PickScratch();
  /** ParzenEstimator.editInPlace's index maps. */
  edit = new Int32Array(2048);
  /** The estimator memo's kernel matches (oldOf), read while the next estimator is built or edited. */
  match = new Int32Array(1024);
}
