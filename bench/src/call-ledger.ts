/**
 * Per-call bookkeeping of a long run, by the guard's numeric call id, in typed arrays: their memory is outside
 * the JavaScript heap, so a run that measures its heap is not disturbed by its own records.
 */

/** What is known of a call (bit flags). */
export const CallMark = {
  /** The tool says the call ended holding a handle. */
  LeftOpen: 1,
  /** The tool says the call ended holding only its temp dir. */
  TempOnly: 2,
  /** The guard cleaned the call up for a reason other than `end` (a leak, a stop, a cancel). */
  CleanedLeak: 4,
  /** The guard cleaned up the call's temp dir only (reason `end`). */
  CleanedEnd: 8,
  /** An audit entry of action `cleanup` named the call. */
  Audited: 16,
  /** A second audit entry of action `cleanup` named the call. */
  AuditedAgain: 32,
  /** The guard reported a second cleanup of the call. */
  CleanedAgain: 64,
} as const;

/** One of {@link CallMark}. */
export type CallMark = (typeof CallMark)[keyof typeof CallMark];

/** Calls with one mark and without another: how many, and the first few ids. */
export interface Mismatch {
  readonly count: number;
  readonly examples: readonly number[];
}

/** Marks and a small label (an index into the caller's list of names) per call id. */
export class CallLedger {
  #marks: Uint8Array;
  #labels: Int16Array;

  /**
   * @param capacity - call ids expected (it grows if a larger id comes)
   */
  constructor(capacity: number) {
    this.#marks = new Uint8Array(capacity);
    this.#labels = new Int16Array(capacity).fill(-1);
  }

  #index(callId: string): number {
    const id = Number(callId);
    if (!Number.isSafeInteger(id) || id < 0) throw new RangeError(`not a numeric call id: ${callId}`);
    if (id >= this.#marks.length) {
      const size = Math.max(id + 1, this.#marks.length * 2);
      const marks = new Uint8Array(size);
      marks.set(this.#marks);
      const labels = new Int16Array(size).fill(-1);
      labels.set(this.#labels);
      this.#marks = marks;
      this.#labels = labels;
    }
    return id;
  }

  /**
   * Adds a mark to a call.
   *
   * @param callId - the guard's call id
   * @param mark - what is known
   */
  mark(callId: string, mark: CallMark): void {
    const i = this.#index(callId);
    this.#marks[i] = (this.#marks[i] ?? 0) | mark;
  }

  /**
   * Whether a call has every bit of `marks`.
   *
   * @param callId - the guard's call id
   * @param marks - one or several marks, or-ed
   * @returns true when it has them all
   */
  has(callId: string, marks: number): boolean {
    return ((this.#marks[this.#index(callId)] ?? 0) & marks) === marks;
  }

  /**
   * Labels a call (e.g. with the index of its tool or corpus entry).
   *
   * @param callId - the guard's call id
   * @param label - 0 to 32767
   */
  label(callId: string, label: number): void {
    this.#labels[this.#index(callId)] = label;
  }

  /**
   * The label of a call.
   *
   * @param id - the call id
   * @returns its label, or -1
   */
  labelOf(id: number): number {
    return this.#labels[id] ?? -1;
  }

  /**
   * Calls with every bit of `having` and none of `lacking`.
   *
   * @param having - marks the calls must have (one or several, or-ed)
   * @param lacking - marks they must not have
   * @param examples - how many ids to list
   * @returns the count and the first ids
   */
  mismatch(having: number, lacking: number, examples = 5): Mismatch {
    let count = 0;
    const ids: number[] = [];
    for (let id = 0; id < this.#marks.length; id++) {
      const m = this.#marks[id]!;
      if ((m & having) === having && (m & lacking) === 0) {
        count++;
        if (ids.length < examples) ids.push(id);
      }
    }
    return { count, examples: ids };
  }

  /**
   * How many calls have every bit of `marks`.
   *
   * @param marks - one or several marks, or-ed
   * @returns the count
   */
  count(marks: number): number {
    return this.mismatch(marks, 0, 0).count;
  }

  /** Forgets every call. */
  clear(): void {
    this.#marks.fill(0);
    this.#labels.fill(-1);
  }
}
