import { AuditBreak } from '@promotion/plugin-promotion-common';

/** Breaks listed at most unless the caller says otherwise. */
export const DEFAULT_MAX_BREAKS = 100;

/** Collects breaks up to a limit, counting the rest. */
export class BreakList {
  readonly #max: number;
  readonly #breaks: AuditBreak[] = [];
  #found = 0;
  #extra = false;

  constructor(max: number = DEFAULT_MAX_BREAKS) {
    this.#max = max;
  }

  add(found: AuditBreak): void {
    this.#found += 1;
    if (this.#breaks.length < this.#max) {
      this.#breaks.push(found);
    }
  }

  addAll(found: Iterable<AuditBreak>): void {
    for (const item of found) {
      this.add(item);
    }
  }

  /** Some check found more breaks than it handed over. */
  markTruncated(): void {
    this.#extra = true;
  }

  /** Every break found, listed or not. */
  get found(): number {
    return this.#found;
  }

  get breaks(): AuditBreak[] {
    return [...this.#breaks];
  }

  get truncated(): boolean {
    return this.#extra || this.#found > this.#breaks.length;
  }
}
