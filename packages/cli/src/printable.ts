/**
 * Token claims, headers and issuer documents are written by someone else: a
 * claim holding terminal escape codes or bidi overrides must not repaint the
 * terminal or disguise a value. Everything untrusted goes through here.
 */

// C0 and C1 controls (ESC among them), the bidi controls (Trojan Source, CVE-2021-42574), and the
// invisible ones (zero-width spaces and joiners, word joiner, BOM, soft hyphen, line separators),
// which would make a value print the same as another.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g

// The same, less C0, which JSON.stringify escapes in strings and uses raw (newlines) between them.
const UNSAFE_IN_JSON = /[\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g

/**
 * JSON made safe to print: `JSON.stringify` escapes C0 controls but leaves C1,
 * bidi and invisible characters raw. They only occur inside strings, so
 * escaping them as `\uXXXX` keeps the same JSON value.
 *
 * @example
 * safeJson({ sub: 'a\u202eb' }) // '{"sub":"a\\u202eb"}'
 */
export function safeJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(
    UNSAFE_IN_JSON,
    (char) => `\\u${(char.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`,
  )
}

/**
 * `value` as one safe line: strings as they are (unsafe characters as `\u{…}`), anything else as JSON.
 *
 * @example
 * printable('a\u001b[2Jb') // 'a\\u{1b}[2Jb'
 */
export function printable(value: unknown): string {
  const text = typeof value === 'string' ? value : stringify(value)
  return text.replace(UNSAFE, (char) => `\\u{${(char.codePointAt(0) ?? 0).toString(16)}}`)
}

/**
 * `value` quoted as JSON, made safe: for showing an exact string, trailing slashes and spaces visible.
 *
 * @example
 * quoted('https://idp.example/') // '"https://idp.example/"'
 */
export function quoted(value: unknown): string {
  return printable(typeof value === 'string' ? JSON.stringify(value) : stringify(value))
}

// JSON.stringify recurses: a value nested thousands deep (a hostile document) overflows the stack.
function stringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return '[not printable: nested too deeply]'
  }
}
