/**
 * A strict reader of Envoy's `x-forwarded-client-cert` (XFCC): elements
 * separated by `,`, each `Key=value` pairs separated by `;`, a value either
 * bare or `"…"` with `\` escapes. Anything else is refused rather than
 * guessed, because a guess is where a client's own text becomes a `Cert`:
 * a quote a client-written element leaves open, or a second `Cert` inside
 * a value, would otherwise move the element boundaries.
 */

/** One element: its pairs in order, keys lower-cased. */
export type XfccElement = ReadonlyArray<readonly [key: string, value: string]>

/** The header's elements, or why it is not one Envoy could have written. */
export type XfccReading = { elements: XfccElement[] } | { unreadable: string }

const KEY = /^[A-Za-z]+$/
const ESCAPED = /\\(.)/gs

/**
 * Reads `value` whole. Optional whitespace is allowed around `,` (Node joins
 * repeated header lines with `, `), nowhere else.
 *
 * @example
 * readXfcc('Hash=ab12;Cert="-----BEGIN%20CERTIFICATE-----%0A…"') // { elements: [[['hash', 'ab12'], ['cert', '-----BEGIN…']]] }
 */
export function readXfcc(value: string): XfccReading {
  const elements: XfccElement[] = []
  let pairs: [string, string][] = []
  let index = 0
  for (;;) {
    const equals = value.indexOf('=', index)
    if (equals === -1) return { unreadable: 'x-forwarded-client-cert has a pair without "="' }
    const key = value.slice(index, equals)
    if (!KEY.test(key)) return { unreadable: 'x-forwarded-client-cert has a key that is not a word' }
    let end: number
    let pairValue: string
    if (value.charCodeAt(equals + 1) === 0x22 /* " */) {
      end = closingQuote(value, equals + 2)
      if (end === -1) return { unreadable: 'x-forwarded-client-cert has an unterminated quoted value' }
      pairValue = value.slice(equals + 2, end).replace(ESCAPED, '$1')
      end++
    } else {
      end = nextSeparator(value, equals + 1)
      pairValue = value.slice(equals + 1, end)
      if (pairValue.includes('"'))
        return { unreadable: 'x-forwarded-client-cert has a quote inside an unquoted value' }
    }
    pairs.push([key.toLowerCase(), pairValue])
    if (end === value.length) break
    const separator = value[end]
    if (separator === ';') {
      index = end + 1
    } else if (separator === ',') {
      elements.push(pairs)
      pairs = []
      index = skipSpaces(value, end + 1)
    } else if (separator === ' ' || separator === '\t') {
      // Only whitespace before a `,` is allowed; a quoted value must end at a separator.
      const after = skipSpaces(value, end)
      if (value[after] !== ',') return { unreadable: 'x-forwarded-client-cert has text after a quoted value' }
      elements.push(pairs)
      pairs = []
      index = skipSpaces(value, after + 1)
    } else {
      return { unreadable: 'x-forwarded-client-cert has text after a quoted value' }
    }
  }
  elements.push(pairs)
  return { elements }
}

/** The index of the `"` closing a quoted value that starts at `from`, skipping `\` escapes; -1 if none. */
function closingQuote(value: string, from: number): number {
  for (let index = from; index < value.length; index++) {
    const code = value.charCodeAt(index)
    if (code === 0x5c /* \ */) index++
    else if (code === 0x22) return index
  }
  return -1
}

/** The index of the next `;` or `,` (or trailing whitespace before a `,`) from `from`, or the end. */
function nextSeparator(value: string, from: number): number {
  for (let index = from; index < value.length; index++) {
    const code = value.charCodeAt(index)
    if (code === 0x3b /* ; */ || code === 0x2c /* , */) return trimEnd(value, from, index)
  }
  return trimEnd(value, from, value.length)
}

/** `end`, moved back over whitespace before a `,` so that `a=b , c=d` reads `b`. */
function trimEnd(value: string, from: number, end: number): number {
  if (value[end] !== ',') return end
  let index = end
  while (index > from && (value[index - 1] === ' ' || value[index - 1] === '\t')) index--
  return index
}

function skipSpaces(value: string, from: number): number {
  let index = from
  while (value[index] === ' ' || value[index] === '\t') index++
  return index
}
