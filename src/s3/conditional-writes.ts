import type { S3ErrorFacts } from "./error-facts.js";

/**
 * Whether the store honours `If-None-Match: *` on data objects, learnt once per run and shared by the run's
 * uploaders. A store that refuses the header as not implemented (501 NotImplemented, or a 400 whose code says so)
 * gets plain writes from then on, announced once: such a store cannot refuse an overwrite, and the run says so.
 */
export class ConditionalWrites {
  private refused: string | undefined;

  constructor(private readonly onRefused: (message: string) => void) {}

  /** Whether writes should still carry `If-None-Match: *`. */
  get enabled(): boolean {
    return this.refused === undefined;
  }

  /** Notes the store's refusal (told once); later uploads send no header. */
  refuse(facts: Pick<S3ErrorFacts, "code" | "status" | "operation">): void {
    if (this.refused !== undefined) return;
    this.refused = facts.code;
    this.onRefused(
      `the store answered ${facts.code}${facts.status ? ` (HTTP ${facts.status})` : ""} to If-None-Match: * on ${facts.operation ?? "a write"}: ` +
        "data objects are written without it from now on, so this store cannot refuse to overwrite an object another writer stored under the same key",
    );
  }
}

/** Whether an error is the store saying it does not implement a conditional write (not a failed condition). */
export function isConditionNotImplemented(facts: Pick<S3ErrorFacts, "code" | "status">): boolean {
  if (facts.status === 501 || facts.code === "NotImplemented") return true;
  return facts.status === 400 && /not ?implemented|not ?supported|unsupported/i.test(facts.code);
}

/**
 * Whether an error is `If-None-Match: *` failing: an object is already stored under the key (412), or AWS's 409
 * ConditionalRequestConflict (another write to the key was in progress): either way the key is not ours to take.
 */
export function isPreconditionFailed(facts: Pick<S3ErrorFacts, "code" | "status">): boolean {
  return facts.code === "PreconditionFailed" || facts.status === 412 || facts.code === "ConditionalRequestConflict";
}
