/** Characters a snippet passage aims for. */
export const DEFAULT_PASSAGE_CHARS = 300;

const SENTENCE_END = /(?<=[.!?。！？])\s+|(?<=[。！？])|\n+/u;

/**
 * Splits a text into passages of about `targetChars`: whole sentences packed together, a sentence longer than
 * twice the target cut at word boundaries. Whitespace inside a passage is collapsed.
 */
export function splitPassages(text: string, targetChars = DEFAULT_PASSAGE_CHARS): string[] {
  const clean = text.trim();
  if (clean.length <= targetChars) return clean === "" ? [] : [collapse(clean)];
  const pieces: string[] = [];
  for (const sentence of clean.split(SENTENCE_END)) {
    const collapsed = collapse(sentence);
    if (collapsed === "") continue;
    if (collapsed.length <= 2 * targetChars) pieces.push(collapsed);
    else pieces.push(...cutLong(collapsed, targetChars));
  }
  const passages: string[] = [];
  let current = "";
  for (const piece of pieces) {
    if (current !== "" && current.length + 1 + piece.length > targetChars) {
      passages.push(current);
      current = piece;
    } else {
      current = current === "" ? piece : `${current} ${piece}`;
    }
  }
  if (current !== "") passages.push(current);
  return passages;
}

function cutLong(text: string, targetChars: number): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest.length > targetChars) {
    const space = rest.lastIndexOf(" ", targetChars);
    const cut = space > targetChars / 2 ? space : targetChars;
    out.push(rest.slice(0, cut).trim());
    rest = rest.slice(cut).trim();
  }
  if (rest !== "") out.push(rest);
  return out;
}

function collapse(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
