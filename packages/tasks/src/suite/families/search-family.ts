import type { InventedNames } from "../../random/invented-names";
import type { SeededRandom } from "../../random/seeded-random";
import type { CorpusDoc, DrawnTask, FamilyContext, TaskFamilyGenerator } from "../suite-types";

/** The corpus's made-up address space; `.invalid` can never resolve. */
const URL_BASE = "https://encyclopedia.invalid/wiki/";

interface Attribute {
  key: string;
  draw(random: SeededRandom, names: InventedNames): string;
  sentence(name: string, value: string): string;
  questions(name: string, noun: string): string[];
}

interface EntityKind {
  noun: string;
  intro(name: string, random: SeededRandom, names: InventedNames): string;
  attributes: readonly Attribute[];
}

const year = (from: number, to: number) => (random: SeededRandom) => String(random.int(from, to));
const count = (from: number, to: number) => (random: SeededRandom) => String(random.int(from, to));
const person = (_: SeededRandom, names: InventedNames) => names.person();
const place = (_: SeededRandom, names: InventedNames) => names.next();

const KINDS: readonly EntityKind[] = [
  {
    noun: "town",
    intro: (name, random, names) =>
      `${name} is a ${random.pick(["small", "market", "river", "hill"])} town in the ${names.next()} valley.`,
    attributes: [
      {
        key: "founded",
        draw: year(1600, 1950),
        sentence: (n, v) => `${n} was founded in ${v}.`,
        questions: (n) => [
          `In what year was the town of ${n} founded?`,
          `When was ${n} (the town) founded? Give the year.`,
        ],
      },
      {
        key: "population",
        draw: count(10_000, 99_999),
        sentence: (n, v) => `At the last census ${n} had a population of ${v}.`,
        questions: (n) => [
          `What was the population of the town of ${n} at the last census?`,
          `How many people live in ${n} according to its last census?`,
        ],
      },
      {
        key: "founder",
        draw: person,
        sentence: (n, v) =>
          `The town was established by the surveyor ${v}, and ${n} still honours its founder.`,
        questions: (n) => [`Who founded the town of ${n}?`, `Which surveyor established ${n}?`],
      },
    ],
  },
  {
    noun: "company",
    intro: (name, random) =>
      `${name} is a ${random.pick(["textile", "shipping", "software", "glassware", "bicycle"])} company.`,
    attributes: [
      {
        key: "founded",
        draw: year(1850, 2015),
        sentence: (n, v) => `${n} was incorporated in ${v}.`,
        questions: (n) => [
          `In which year was the company ${n} incorporated?`,
          `When was ${n} founded as a company? Give the year.`,
        ],
      },
      {
        key: "employees",
        draw: count(210, 9_800),
        sentence: (n, v) => `${n} employs ${v} people.`,
        questions: (n) => [
          `How many people does the company ${n} employ?`,
          `What is the number of employees of ${n}?`,
        ],
      },
      {
        key: "headquarters",
        draw: place,
        sentence: (n, v) => `The headquarters of ${n} are in the city of ${v}.`,
        questions: (n) => [
          `In which city is the company ${n} headquartered?`,
          `Where are the headquarters of ${n}?`,
        ],
      },
    ],
  },
  {
    noun: "ship",
    intro: (name, random) =>
      `The ${name} is a ${random.pick(["three-masted", "steam", "research", "cargo"])} ship.`,
    attributes: [
      {
        key: "launched",
        draw: year(1780, 1990),
        sentence: (n, v) => `The ${n} was launched in ${v}.`,
        questions: (n) => [
          `In what year was the ship ${n} launched?`,
          `When was the ${n} (a ship) launched?`,
        ],
      },
      {
        key: "crew",
        draw: count(40, 950),
        sentence: (n, v) => `The ${n} sailed with a crew of ${v}.`,
        questions: (n) => [
          `How large was the crew of the ship ${n}?`,
          `With how many crew members did the ${n} sail?`,
        ],
      },
      {
        key: "captain",
        draw: person,
        sentence: (n, v) => `Her first captain was ${v}, who commanded the ${n} for a decade.`,
        questions: (n) => [
          `Who was the first captain of the ship ${n}?`,
          `Name the first captain of the ${n}.`,
        ],
      },
    ],
  },
  {
    noun: "mountain",
    intro: (name, random) =>
      `${name} is a ${random.pick(["granite", "volcanic", "glaciated", "limestone"])} mountain.`,
    attributes: [
      {
        key: "height",
        draw: count(1_200, 7_900),
        sentence: (n, v) => `${n} rises to ${v} metres above sea level.`,
        questions: (n) => [
          `How high is the mountain ${n}, in metres?`,
          `What is the height of ${n} above sea level in metres?`,
        ],
      },
      {
        key: "first-ascent",
        draw: year(1786, 1985),
        sentence: (n, v) => `The first recorded ascent of ${n} was made in ${v}.`,
        questions: (n) => [
          `In what year was ${n} first climbed?`,
          `When was the first recorded ascent of the mountain ${n}?`,
        ],
      },
      {
        key: "first-climber",
        draw: person,
        sentence: (n, v) => `That first ascent of ${n} was led by ${v}.`,
        questions: (n) => [
          `Who led the first ascent of ${n}?`,
          `Which climber first reached the summit of ${n}?`,
        ],
      },
    ],
  },
];

/**
 * Tool-required tasks about invented entities whose facts are drawn per seed and exist only in the suite's corpus.
 * Each task adds its entity's document and two distractors: another entity of the same kind, and a near miss that
 * names the asked entity while stating a different value of the same attribute.
 */
export const searchFamily: TaskFamilyGenerator = {
  family: "search",
  templates: KINDS.flatMap((kind) => kind.attributes.map((attribute) => `${kind.noun}-${attribute.key}`)),
  draw(context: FamilyContext): DrawnTask {
    const { random, names } = context;
    const kind = random.pick(KINDS);
    const attribute = random.pick(kind.attributes);
    const name = names.next();
    const target = describeEntity(kind, name, context);
    const answer = target.values.get(attribute.key)!;
    const question = random.pick(attribute.questions(name, kind.noun));
    const rival = describeEntity(kind, names.next(), context, name);
    const other = describeEntity(random.pick(KINDS), names.next(), context);
    return {
      question,
      answer,
      toolNecessity: "required",
      extraInfo: { template: `${kind.noun}-${attribute.key}`, entity: name, documentId: target.document.id },
      documents: random.shuffle([target.document, rival.document, other.document]),
    };
  },
};

function describeEntity(
  kind: EntityKind,
  name: string,
  { random, names }: FamilyContext,
  comparedWith?: string,
): { document: CorpusDoc; values: Map<string, string> } {
  const values = new Map<string, string>();
  const sentences = [kind.intro(name, random, names)];
  if (comparedWith !== undefined)
    sentences.push(`It is often confused with ${comparedWith}, which it resembles.`);
  for (const attribute of random.shuffle(kind.attributes)) {
    const value = attribute.draw(random, names);
    values.set(attribute.key, value);
    sentences.push(attribute.sentence(name, value));
  }
  const slug = `${name}_(${kind.noun})`;
  return {
    document: {
      id: slug.toLowerCase(),
      title: `${name} (${kind.noun})`,
      url: `${URL_BASE}${slug}`,
      text: sentences.join(" "),
    },
    values,
  };
}
