/**
 * Whether the database takes writes now, for the readiness health check. A
 * write that fails for the storage's sake (storage-errors.ts) marks it
 * unwritable; from then on a small committed write is tried every
 * `intervalMs` (nobody else may write while a readiness probe keeps clients
 * away), and the first one that succeeds, or any client's commit, marks it
 * writable again.
 */
export class WriteHealth {
  private ok = true;
  private timer: NodeJS.Timeout | undefined;
  private probing = false;
  private readonly listeners: ((writable: boolean) => void)[] = [];

  constructor(
    private readonly probe: () => Promise<void>,
    private readonly intervalMs = 1000,
  ) {}

  get writable(): boolean {
    return this.ok;
  }

  onChange(listener: (writable: boolean) => void): void {
    this.listeners.push(listener);
  }

  failed(): void {
    if (!this.ok) return;
    this.ok = false;
    for (const l of this.listeners) l(false);
    this.timer = setInterval(() => this.tryProbe(), this.intervalMs);
    this.timer.unref();
  }

  succeeded(): void {
    if (this.ok) return;
    this.ok = true;
    this.stop();
    for (const l of this.listeners) l(true);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private tryProbe(): void {
    if (this.probing) return;
    this.probing = true;
    this.probe().then(
      () => {
        this.probing = false;
        this.succeeded();
      },
      () => {
        this.probing = false;
      },
    );
  }
}
