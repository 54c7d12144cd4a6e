import { ConnectorError } from '../errors/connector-error.js';
import type { FieldProblem } from '../http/problem.js';
import type { SignatureRefusal } from '../security/webhook-signature.js';

export type RefusalCode =
  | SignatureRefusal
  | 'replayed'
  | 'body_too_large'
  | 'unsupported_media_type'
  | 'invalid_json'
  | 'invalid_request'
  | 'unexpected_body';

/** A core request refused before its operation ran: its signature, size or shape. Nothing was changed. */
export class CoreRequestRefused extends ConnectorError {
  constructor(
    readonly code: RefusalCode,
    detail: string,
    /** Each offending field, for `invalid_request` and `invalid_json`. */
    readonly fields?: FieldProblem[],
  ) {
    super(detail);
  }
}
