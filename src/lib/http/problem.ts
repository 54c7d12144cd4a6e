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

export function problemResponse(problem: Problem, headers: Record<string, string> = {}): HttpResponseInit {
  return {
    status: problem.status,
    headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(problem),
  };
}
