import type { DrawnTask, FamilyContext, TaskFamilyGenerator } from "../suite-types";

const ORDINALS = ["first", "second", "third", "fourth", "fifth"];
const ITEM_WORDS = [
  "apple",
  "hammer",
  "violin",
  "lantern",
  "pepper",
  "compass",
  "kettle",
  "ribbon",
  "walnut",
  "anchor",
  "blanket",
  "candle",
  "feather",
  "marble",
  "pencil",
  "saddle",
  "thimble",
  "teapot",
];
const LIST_KINDS = ["shopping list", "packing list", "list of items", "inventory"];

type Template = (context: FamilyContext) => DrawnTask;

function unnecessary(question: string, answer: string, template: string): DrawnTask {
  return { question, answer, toolNecessity: "unnecessary", extraInfo: { template } };
}

const capital: Template = ({ random, names }) => {
  const country = names.next();
  const city = names.next();
  const question = random.pick([
    `The capital of the invented country ${country} is ${city}. What is the capital of ${country}?`,
    `In a fantasy novel, the nation of ${country} is governed from its capital, ${city}. Name the capital of ${country}.`,
    `${city} is the capital city of ${country}, a fictional kingdom. Which city is the capital of ${country}?`,
    `Fact: ${country}'s capital is ${city}. Question: what is ${country}'s capital?`,
  ]);
  return unnecessary(question, city, "capital");
};

const oneDigitArithmetic: Template = ({ random }) => {
  const a = random.int(1, 9);
  const b = random.int(1, 9);
  const operation = random.pick(["+", "-", "*"] as const);
  const [left, right] = operation === "-" && b > a ? [b, a] : [a, b];
  const value = operation === "+" ? left + right : operation === "-" ? left - right : left * right;
  const symbol = operation === "*" ? random.pick(["*", "×", "x"]) : operation;
  const question = random.pick([
    `What is ${left} ${symbol} ${right}?`,
    `Compute ${left} ${symbol} ${right}.`,
    `How much is ${left} ${symbol} ${right}?`,
    `Quick one: ${left} ${symbol} ${right} = ?`,
  ]);
  return unnecessary(question, String(value), "one-digit-arithmetic");
};

const larger: Template = ({ random }) => {
  const a = random.int(1, 99);
  let b = random.int(1, 99);
  while (b === a) b = random.int(1, 99);
  const question = random.pick([
    `Which is larger, ${a} or ${b}?`,
    `Of the numbers ${a} and ${b}, which one is bigger?`,
    `Pick the larger number: ${a}, ${b}.`,
    `${a} and ${b}: which is greater?`,
  ]);
  return unnecessary(question, String(Math.max(a, b)), "larger-number");
};

const listItem: Template = ({ random }) => {
  const items = random.shuffle(ITEM_WORDS).slice(0, random.int(3, 5));
  const position = random.int(0, items.length - 1);
  const kind = random.pick(LIST_KINDS);
  const last = position === items.length - 1 && random.chance(0.5);
  const which = last ? "last" : ORDINALS[position]!;
  const question = random.pick([
    `Here is a ${kind}: ${items.join(", ")}. What is the ${which} item?`,
    `Read this ${kind} and tell me its ${which} entry: ${items.join(", ")}.`,
    `${capitalise(kind)}: ${items.join("; ")}. Which item comes ${which}?`,
  ]);
  return unnecessary(question, items[position]!, "list-item");
};

const personFact: Template = ({ random, names }) => {
  const person = names.person();
  const town = names.next();
  const age = random.int(18, 90);
  const first = person.split(" ")[0]!;
  if (random.chance(0.5)) {
    const question = random.pick([
      `${person} is ${age} years old and lives in ${town}. How old is ${first}?`,
      `According to the note, ${person} (age ${age}) moved to ${town} last spring. What is ${first}'s age?`,
    ]);
    return unnecessary(question, String(age), "person-age");
  }
  const question = random.pick([
    `${person} is ${age} years old and lives in ${town}. Where does ${first} live?`,
    `According to the note, ${person} moved to ${town} last spring. In which town does ${first} live now?`,
  ]);
  return unnecessary(question, town, "person-town");
};

/** A yes/no comparison; the split's answers are balanced (`BalancedLabels`), so "always no" scores exactly half. */
const compareYesNo: Template = ({ random, labels }) => {
  let a = random.int(1, 99);
  let b = random.int(1, 99);
  while (b === a) b = random.int(1, 99);
  const relation = random.pick(["larger", "smaller"] as const);
  const answer = labels.next("compare-yes-no", ["yes", "no"] as const);
  // a ≠ b, so swapping them flips whether the strict relation holds.
  if ((relation === "larger" ? a > b : a < b) !== (answer === "yes")) [a, b] = [b, a];
  const question = random.pick([
    `Is ${a} ${relation} than ${b}? Answer yes or no.`,
    `Yes or no: is ${a} ${relation} than ${b}?`,
    `Answer with yes or no. Is the number ${a} ${relation} than the number ${b}?`,
  ]);
  return unnecessary(question, answer, "compare-yes-no");
};

/**
 * Whether a number is even or odd: read off its last digit, which a small model can do without copying anything
 * (a tokenizer that splits digits gives the last one a token of its own); balanced yes/no like `compare-yes-no`.
 */
const parityYesNo: Template = ({ random, labels }) => {
  const parity = random.pick(["even", "odd"] as const);
  const answer = labels.next("parity-yes-no", ["yes", "no"] as const);
  const even = (parity === "even") === (answer === "yes");
  const number = 2 * random.int(even ? 1 : 0, 4999) + (even ? 0 : 1);
  const question = random.pick([
    `Is ${number} an ${parity} number? Answer yes or no.`,
    `Yes or no: is the number ${number} ${parity}?`,
    `Answer with yes or no. Is ${number} ${parity}?`,
  ]);
  return unnecessary(question, answer, "parity-yes-no");
};

const CHOICE_LETTERS = ["A", "B", "C"] as const;

/**
 * A multiple-choice question whose answer is stated in the prompt (the benchmarks' option-letter format); the
 * right option's letter is balanced over the split.
 */
const capitalChoice: Template = ({ random, names, labels }) => {
  const country = names.next();
  const city = names.next();
  const options = random.shuffle([names.next(), names.next()]);
  const answer = labels.next("capital-choice", CHOICE_LETTERS);
  options.splice(CHOICE_LETTERS.indexOf(answer), 0, city);
  const listed = options.map((option, i) => `${CHOICE_LETTERS[i]}. ${option}`).join("\n");
  const fact = random.pick([
    `The capital of the invented country ${country} is ${city}.`,
    `${city} is the capital city of ${country}, a fictional kingdom.`,
  ]);
  const question = `${fact} Which city is the capital of ${country}?\n${listed}\nAnswer with the option's letter.`;
  return unnecessary(question, answer, "capital-choice");
};

function capitalise(text: string): string {
  return text[0]!.toUpperCase() + text.slice(1);
}

const TEMPLATES: readonly Template[] = [
  capital,
  oneDigitArithmetic,
  larger,
  listItem,
  personFact,
  compareYesNo,
  capitalChoice,
  parityYesNo,
];

/** Tool-unnecessary tasks: the answer is in the prompt, or one step of mental arithmetic away. */
export const directFamily: TaskFamilyGenerator = {
  family: "direct",
  templates: [
    "capital",
    "one-digit-arithmetic",
    "larger-number",
    "list-item",
    "person-age",
    "person-town",
    "compare-yes-no",
    "capital-choice",
    "parity-yes-no",
  ],
  draw(context) {
    return context.random.pick(TEMPLATES)(context);
  },
};
