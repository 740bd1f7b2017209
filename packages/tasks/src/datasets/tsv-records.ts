import { createReadStream } from "node:fs";

/** One parsed TSV record and the 1-based line it starts on. */
export interface TsvRecord {
  fields: string[];
  line: number;
}

type State = "field-start" | "unquoted" | "quoted" | "quote-in-quoted";

/**
 * Streams the records of a tab-separated file as pandas writes it (`to_csv(sep="\t")`, minimal quoting): a field
 * that holds a tab, a newline or a quote is wrapped in `"` with inner quotes doubled. A state machine, so quoted
 * newlines do not split records; `\r` outside quotes is dropped (CRLF files).
 */
export async function* readTsvRecords(path: string): AsyncGenerator<TsvRecord> {
  let state: State = "field-start";
  let field = "";
  let fields: string[] = [];
  let line = 1;
  let recordLine = 1;
  let any = false;
  for await (const chunk of createReadStream(path, { encoding: "utf8", highWaterMark: 1 << 20 })) {
    const text = chunk as string;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      if (state === "quoted") {
        if (ch === '"') state = "quote-in-quoted";
        else {
          if (ch === "\n") line++;
          field += ch;
        }
        continue;
      }
      if (state === "quote-in-quoted" && ch === '"') {
        field += '"';
        state = "quoted";
        continue;
      }
      if (ch === "\r") continue;
      if (ch === "\t") {
        fields.push(field);
        field = "";
        state = "field-start";
        any = true;
        continue;
      }
      if (ch === "\n") {
        fields.push(field);
        yield { fields, line: recordLine };
        fields = [];
        field = "";
        state = "field-start";
        any = false;
        line++;
        recordLine = line;
        continue;
      }
      any = true;
      if (state === "field-start" && ch === '"') {
        state = "quoted";
        continue;
      }
      state = "unquoted";
      field += ch;
    }
  }
  if (any || state === "quoted" || field !== "") {
    fields.push(field);
    yield { fields, line: recordLine };
  }
}
