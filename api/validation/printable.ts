/**
 * Make text from an object safe to print on a terminal. Names, keys and values in an
 * object are the user's (or an attacker's): a newline in a name must not forge a report
 * line, and an ANSI escape must not repaint the terminal. Control characters (C0, DEL,
 * C1), line and paragraph separators and bidirectional overrides become visible escapes
 * such as `\x1b`, `\n` or `\u202e`; everything else is kept as it is.
 */

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

// What JSON.stringify leaves raw inside strings.
const JSON_UNSAFE = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\0': '\\0' };

function escapeChar(ch: string): string {
  if (NAMED[ch]) return NAMED[ch];
  const code = ch.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** The text with every control character written as a visible escape. */
export function printable(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/** True when the text holds a character `printable` would escape. */
export function hasControlCharacters(text: string): boolean {
  UNSAFE.lastIndex = 0;
  const found = UNSAFE.test(text);
  UNSAFE.lastIndex = 0;
  return found;
}

/**
 * JSON for a terminal or a log: JSON.stringify already escapes C0 controls; this also
 * escapes DEL, C1 and the separators and overrides above, which JSON allows raw. The
 * result parses back to the same value.
 */
export function safeJson(value: unknown, space?: number): string {
  // Raw C0 characters in JSON.stringify's output are only its own indentation newlines.
  return JSON.stringify(value, null, space).replace(
    JSON_UNSAFE,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
