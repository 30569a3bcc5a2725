/**
 * Every error the target raises on purpose. Each says what failed, where, and what to do;
 * `exitCode` is what the CLI exits with, `retryable` whether trying again can help.
 */
export abstract class TargetError extends Error {
  abstract readonly exitCode: number;
  readonly retryable: boolean = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad settings or arguments: nothing was read yet. Exit 2. */
export class ConfigError extends TargetError {
  readonly exitCode = 2;
  constructor(
    message: string,
    readonly problems: string[] = [],
  ) {
    super(problems.length > 0 ? `${message}\n  - ${problems.join("\n  - ")}` : message);
  }
}

/** A mistake in the command line (unknown option, missing value, --input not a file): one sentence and the usage line. Exit 2. */
export class UsageError extends TargetError {
  readonly exitCode = 2;
}

/** The input breaks the protocol (not JSON, RECORD before SCHEMA, …). Always names the line. Exit 1. */
export class InputError extends TargetError {
  readonly exitCode = 1;
  constructor(
    /** What is wrong, without the line (the message adds it). */
    readonly reason: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${reason}`);
  }
}

/** A record that fails its stream's schema or lacks a key property. Exit 1. */
export class RecordValidationError extends TargetError {
  readonly exitCode = 1;
  constructor(
    message: string,
    readonly stream: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
  }
}

/** Writing a file (DuckDB conversion, local disk) failed. Exit 1. */
export class FileWriteError extends TargetError {
  readonly exitCode = 1;
}

/** An S3 call failed for good (after retries, or not retryable). Exit 1. */
export class UploadError extends TargetError {
  readonly exitCode = 1;
  constructor(
    message: string,
    readonly bucket: string,
    readonly key: string,
    readonly code: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Credentials or role could not be resolved. Exit 1. */
export class CredentialsError extends TargetError {
  readonly exitCode = 1;
}

/** stdout was closed by its reader (EPIPE): committed STATE can no longer be delivered. Exit 1. */
export class OutputClosedError extends TargetError {
  readonly exitCode = 1;
}

/** The run was stopped by a signal. Exit 128 + signal number. */
export class InterruptedError extends TargetError {
  constructor(readonly signal: "SIGTERM" | "SIGINT") {
    super(`stopped by ${signal}: in-flight uploads were aborted and no STATE was emitted for unstored records`);
  }
  get exitCode(): number {
    return this.signal === "SIGINT" ? 130 : 143;
  }
}

export function exitCodeOf(error: unknown): number {
  return error instanceof TargetError ? error.exitCode : 1;
}
