import { ConnectorError } from '../errors/connector-error.js';

/**
 * Table Storage forbids `/ \ # ?` and control characters in PartitionKey and RowKey, and caps them at 1 KiB.
 * Keys are escaped as `%XX` (UTF-8 bytes, like URI encoding) so any logical key round-trips; `%` itself is
 * escaped so the mapping is reversible.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what Table Storage forbids
const forbidden = /[%/\\#?\u0000-\u001f\u007f-\u009f]/gu;
const maxKeyBytes = 1024;

export class InvalidKeyError extends ConnectorError {
  readonly code = 'invalid_table_key';
}

export function escapeKey(key: string): string {
  const escaped = key.replace(forbidden, (char) =>
    Array.from(
      Buffer.from(char, 'utf8'),
      (byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
    ).join(''),
  );
  if (Buffer.byteLength(escaped, 'utf8') > maxKeyBytes) {
    throw new InvalidKeyError(`A table key is longer than ${maxKeyBytes} bytes once escaped.`);
  }
  return escaped;
}

export function unescapeKey(key: string): string {
  return key.includes('%') ? decodeURIComponent(key) : key;
}
