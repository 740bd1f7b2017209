/**
 * Text operations on sandbox output, written as single index scans: the output is hostile (a model controls it),
 * and the regular expressions these replace backtrack quadratically on long whitespace runs (`print(' ' * 262000
 * + 'x')` froze the event loop for most of a minute).
 */

/** Removes leading spaces and newlines only (the reference's `re.sub(r'^[ \n]+', '', text)`). */
export function stripLeadingSpacesAndNewlines(text: string): string {
  let start = 0;
  while (start < text.length) {
    const code = text.charCodeAt(start);
    if (code !== 0x20 && code !== 0x0a) break;
    start++;
  }
  return start === 0 ? text : text.slice(start);
}

const ESC = 0x1b;
const BEL = 0x07;
const C1_CSI = 0x9b;
const C1_OSC = 0x9d;
const C1_ST = 0x9c;

/** End (exclusive) of a CSI sequence whose parameters start at `from`, or -1 when it has no final byte. */
function csiEnd(text: string, from: number): number {
  let at = from;
  while (at < text.length && text.charCodeAt(at) >= 0x30 && text.charCodeAt(at) <= 0x3f) at++;
  while (at < text.length && text.charCodeAt(at) >= 0x20 && text.charCodeAt(at) <= 0x2f) at++;
  if (at < text.length && text.charCodeAt(at) >= 0x40 && text.charCodeAt(at) <= 0x7e) return at + 1;
  return -1;
}

/** End (exclusive) of an OSC string starting at `from` (terminated by BEL, ESC \ or C1 ST), or -1 if unterminated. */
function oscEnd(text: string, from: number): number {
  for (let at = from; at < text.length; at++) {
    const code = text.charCodeAt(at);
    if (code === BEL || code === C1_ST) return at + 1;
    if (code === ESC && text.charCodeAt(at + 1) === 0x5c) return at + 2;
  }
  return -1;
}

/**
 * What sandbox output may carry into an observation: the reference strips ANSI CSI sequences (`\x1b[...m`); this
 * also removes OSC strings (`\x1b]...BEL`: terminal titles, hyperlinks, clipboard writes), their C1 forms, and every
 * other control character except tab and newline. Observations end up in logs, reports and terminals where these
 * bytes rewrite what a person sees (CR and BS overwrite text, NUL truncates C strings); a model gains nothing from
 * them. An unterminated sequence loses only its introducer, which leaves the rest inert, printable text.
 */
export function sanitizeOutput(text: string): string {
  // Once an OSC has no terminator up to the end, none after it has: remembering that keeps the scan linear.
  let unterminatedOsc = false;
  const osc = (from: number) => {
    if (unterminatedOsc) return -1;
    const end = oscEnd(text, from);
    if (end < 0) unterminatedOsc = true;
    return end;
  };
  let out = "";
  let kept = 0; // start of the pending run of kept characters
  let at = 0;
  while (at < text.length) {
    const code = text.charCodeAt(at);
    if (code >= 0x20 && code < 0x7f) {
      at++;
      continue;
    }
    if (code === 0x09 || code === 0x0a || code > 0x9f) {
      at++;
      continue;
    }
    // A dropped control: C0 except tab and newline, DEL, or C1; sequences it introduces go with it.
    out += text.slice(kept, at);
    let next = at + 1;
    if (code === ESC && text.charCodeAt(at + 1) === 0x5b) {
      const end = csiEnd(text, at + 2);
      if (end >= 0) next = end;
    } else if (code === C1_CSI) {
      const end = csiEnd(text, at + 1);
      if (end >= 0) next = end;
    } else if (code === ESC && text.charCodeAt(at + 1) === 0x5d) {
      const end = osc(at + 2);
      if (end >= 0) next = end;
    } else if (code === C1_OSC) {
      const end = osc(at + 1);
      if (end >= 0) next = end;
    }
    at = next;
    kept = next;
  }
  return kept === 0 ? text : out + text.slice(kept);
}

/** `text` with a newline appended unless it already ends with one (was `replace(/\n?$/, "\n")`). */
export function withTrailingNewline(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}
