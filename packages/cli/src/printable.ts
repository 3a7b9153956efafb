/**
 * Token claims, headers and issuer documents are written by someone else: a
 * claim holding terminal escape codes or bidi overrides must not repaint the
 * terminal or disguise a value. Everything untrusted goes through here.
 */

// C0 and C1 controls (ESC among them), and the bidi controls (Trojan Source, CVE-2021-42574).
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

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
