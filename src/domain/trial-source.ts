/**
 * Where a trial's configuration came from: the experiment's algorithm
 * (Suggest), the user (Enqueue, and retry_lost's re-enqueued retries) or an
 * import of finished trials (AddTrials). Converted to parzen.v1.TrialSource
 * only in the view layer and to integers only in the store.
 */
export type TrialSource = "algorithm" | "enqueued" | "imported";
