import { ConnectorError } from '../../errors/connector-error.js';

export type BrowserRefusalCode =
  | 'return_too_long'
  | 'return_repeated_parameter'
  | 'return_without_code'
  | 'sign_in_declined'
  | 'sign_in_needs_consent'
  | 'microsoft_sign_in_error'
  | 'consent_not_granted'
  | 'form_not_ours'
  | 'form_too_large'
  | 'check_link_unusable';

/** A browser request refused at the edge (the round trip from Microsoft, a form, a link); nothing changed. */
export class BrowserRefused extends ConnectorError {
  constructor(
    readonly code: BrowserRefusalCode,
    message: string,
  ) {
    super(message);
  }
}
