import type { HttpResponseInit } from '@azure/functions';

/** One offending field: where it is (a JSON pointer into the request) and what is wrong with it. */
export interface FieldProblem {
  pointer: string;
  detail: string;
}

/** RFC 9457 problem details. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: FieldProblem[];
}

/** A problem type's URI: stable, one per kind of failure. */
export const problemType = (code: string) => `urn:m365-connector:problem:${code}`;

/** An error an API caller can act on; `code` names the problem type. Its text must hold no secret. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: FieldProblem[],
  ) {
    super(detail ?? title);
    this.name = 'ApiError';
  }
}

export function problemResponse(problem: Problem, headers: Record<string, string> = {}): HttpResponseInit {
  return {
    status: problem.status,
    headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(problem),
  };
}

/** Maps an error to what the caller may see: ApiErrors as they are, anything else as a bare 500. */
export function errorToProblem(error: unknown): Problem {
  if (error instanceof ApiError) {
    return {
      type: problemType(error.code),
      title: error.title,
      status: error.status,
      ...(error.detail ? { detail: error.detail } : {}),
      ...(error.errors ? { errors: error.errors } : {}),
    };
  }
  return { type: problemType('internal'), title: 'The connector failed to handle the request.', status: 500 };
}
