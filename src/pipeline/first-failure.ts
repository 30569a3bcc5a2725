/**
 * The first error of work that goes on in the background (uploads, conversions): it is the cause, and what fails
 * after it is a consequence, so only the first is kept and rethrown.
 */
export class FirstFailure {
  private kept: { error: unknown } | undefined;

  /** True once anything failed. */
  get happened(): boolean {
    return this.kept !== undefined;
  }

  /** The first error, or undefined. */
  get error(): unknown {
    return this.kept?.error;
  }

  /** Keeps `error` when nothing failed before; true when it was the first. */
  record(error: unknown): boolean {
    if (this.kept !== undefined) return false;
    this.kept = { error };
    return true;
  }

  /** Throws the first error, if there was one. */
  throwIfAny(): void {
    if (this.kept !== undefined) throw this.kept.error;
  }

  /** A promise rejected with the first error (call once `happened`). */
  rejection(): Promise<never> {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the failure is rethrown as it came, whatever was thrown
    return Promise.reject(this.kept?.error);
  }
}
