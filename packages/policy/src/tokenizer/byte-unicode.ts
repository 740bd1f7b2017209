/**
 * GPT-2's reversible byte↔character table: every byte gets a printable character, so that byte-level BPE
 * tokens are ordinary strings (a space is `Ġ`, a newline `Ċ`). Qwen2 uses the same table, so ids of loaded
 * vocabularies line up with ours.
 */

function buildByteOrder(): number[] {
  const order: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) order.push(b);
  for (let b = 0xa1; b <= 0xac; b++) order.push(b);
  for (let b = 0xae; b <= 0xff; b++) order.push(b);
  const printable = new Set(order);
  for (let b = 0; b < 256; b++) if (!printable.has(b)) order.push(b);
  return order;
}

/** The 256 bytes in GPT-2's vocabulary order (printable bytes first); a trained vocabulary starts with these. */
export const BYTE_ORDER: readonly number[] = buildByteOrder();

function buildByteToChar(): string[] {
  const chars = new Array<string>(256);
  let shifted = 0;
  for (let i = 0; i < 256; i++) {
    const b = BYTE_ORDER[i]!;
    // Printable bytes keep their own character; the rest are moved past U+00FF in byte order.
    const isPrintable = i < 188;
    chars[b] = String.fromCodePoint(isPrintable ? b : 256 + shifted++);
  }
  return chars;
}

/** `BYTE_TO_CHAR[b]` is the character standing for byte `b` in byte-level token strings. */
export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

/** The inverse of {@link BYTE_TO_CHAR}. */
export const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

/** Bytes → their byte-level token string. */
export function bytesToByteLevel(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += BYTE_TO_CHAR[b];
  return out;
}

/** A byte-level token string → its bytes, or `undefined` when some character is outside the table. */
export function byteLevelToBytes(token: string): Uint8Array | undefined {
  const bytes: number[] = [];
  for (const ch of token) {
    const b = CHAR_TO_BYTE.get(ch);
    if (b === undefined) return undefined;
    bytes.push(b);
  }
  return Uint8Array.from(bytes);
}
