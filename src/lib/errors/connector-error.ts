/**
 * The base of every error the connector raises on purpose. Its `code` is stable (the problem type at the API, the
 * page at the browser) and owned by the one module that defines the subclass; its message holds no secret. The
 * edges map codes to what their callers see, each in one table: `core-api/problem-table.ts` for problem
 * documents, `onboarding/browser/refusal-pages.ts` for pages.
 */
export abstract class ConnectorError extends Error {
  abstract readonly code: string;
  /** Members a problem document carries beside its detail (RFC 9457 extensions); never a secret. */
  readonly extensions?: Record<string, unknown>;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Anything thrown, as an Error: an Error as it is, anything else wrapped with its text. */
export function asError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}

/** The stable code of a connector error; undefined for anything else. */
export function errorCode(thrown: unknown): string | undefined {
  return thrown instanceof ConnectorError ? thrown.code : undefined;
}
