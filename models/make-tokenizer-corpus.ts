/**
 * Writes models/tokenizer-corpus.txt: the committed text the BPE merges are learned
 * from. It is generated (seeded) rather than copied so that its licence is ours; the
 * mix mirrors what the models will see in SPICE: encyclopaedic prose from a corpus,
 * challenger JSON tasks, reasoner answers with LaTeX and \boxed{}.
 *
 * Run: bun models/make-tokenizer-corpus.ts [--seed 7] [--bytes 200000]
 * The text is committed; regenerating it changes every tokenizer and model.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createRng, type Rng } from "../src/prng.ts";

const PLACES = [
  "Lisbon",
  "Kyoto",
  "Nairobi",
  "Quebec",
  "Oslo",
  "Lima",
  "Hanoi",
  "Cairo",
  "Tasmania",
  "the Andes",
  "the Sahara",
  "the Baltic coast",
  "Patagonia",
  "the Rhine valley",
  "São Paulo",
  "Zürich",
  "Reykjavík",
  "Mumbai",
  "Istanbul",
  "the Great Lakes",
];
const PEOPLE = [
  "Ada Lovelace",
  "Marie Curie",
  "Alan Turing",
  "Emmy Noether",
  "Isaac Newton",
  "Srinivasa Ramanujan",
  "Rosalind Franklin",
  "Carl Friedrich Gauss",
  "Hypatia",
  "Leonhard Euler",
  "Grace Hopper",
  "Niels Bohr",
  "Katherine Johnson",
  "Dmitri Mendeleev",
  "Charles Darwin",
  "Gregor Mendel",
  "Ibn al-Haytham",
  "Sofia Kovalevskaya",
];
const TOPICS = [
  "the water cycle",
  "photosynthesis",
  "plate tectonics",
  "the printing press",
  "prime numbers",
  "the steam engine",
  "vaccination",
  "the periodic table",
  "continental drift",
  "the Silk Road",
  "monsoon winds",
  "coral reefs",
  "the Roman aqueducts",
  "glacial erosion",
  "binary arithmetic",
  "the theory of evolution",
  "electromagnetism",
  "the global economy",
  "migratory birds",
  "volcanic islands",
  "ancient astronomy",
  "the human immune system",
  "renewable energy",
  "paper money",
  "the telegraph",
];
const NOUNS = [
  "river",
  "mountain",
  "city",
  "library",
  "museum",
  "bridge",
  "harbour",
  "forest",
  "railway",
  "university",
  "market",
  "cathedral",
  "laboratory",
  "observatory",
  "village",
  "island",
  "canal",
  "factory",
  "garden",
  "festival",
  "treaty",
  "expedition",
  "manuscript",
  "census",
  "council",
];
const ADJ = [
  "ancient",
  "modern",
  "northern",
  "southern",
  "coastal",
  "industrial",
  "remote",
  "famous",
  "small",
  "large",
  "important",
  "early",
  "medieval",
  "tropical",
  "rural",
  "urban",
  "independent",
  "experimental",
  "historic",
  "busy",
];
const VERBS = [
  "built",
  "described",
  "measured",
  "discovered",
  "studied",
  "founded",
  "recorded",
  "published",
  "explained",
  "observed",
  "designed",
  "mapped",
  "estimated",
  "translated",
  "improved",
  "introduced",
];
const UNITS = [
  "kilometres",
  "metres",
  "tonnes",
  "litres",
  "hectares",
  "people",
  "years",
  "degrees",
  "kilograms",
  "visitors",
  "books",
  "species",
];
const FIELDS = [
  "physics",
  "chemistry",
  "biology",
  "history",
  "geography",
  "economics",
  "mathematics",
  "astronomy",
  "medicine",
  "linguistics",
  "engineering",
  "geology",
];
const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

const EVERYDAY = [
  "people",
  "water",
  "children",
  "family",
  "school",
  "work",
  "time",
  "weather",
  "food",
  "money",
  "teacher",
  "doctor",
  "friend",
  "language",
  "music",
  "story",
  "question",
  "answer",
  "problem",
  "number",
  "computer",
  "letter",
  "window",
  "morning",
  "evening",
  "country",
  "government",
  "company",
  "student",
  "world",
];
const ACTIONS = [
  "find",
  "make",
  "take",
  "give",
  "keep",
  "learn",
  "change",
  "follow",
  "understand",
  "remember",
  "explain",
  "choose",
  "carry",
  "build",
  "count",
  "read",
  "write",
  "answer",
  "compare",
  "describe",
];
const LINKS = [
  "However",
  "Therefore",
  "Meanwhile",
  "For example",
  "In contrast",
  "As a result",
  "At first",
  "Later",
  "In general",
  "Of course",
];

const year = (r: Rng) => 1200 + r.int(825);
const num = (r: Rng) => {
  const k = r.int(4);
  if (k === 0) return String(2 + r.int(98));
  if (k === 1) return String(100 + r.int(9900));
  if (k === 2) return (r.int(1000000) + 10000).toLocaleString("en-US");
  return (r.int(10000) / 100).toFixed(2);
};
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function sentence(r: Rng): string {
  const t = r.int(19);
  switch (t) {
    case 0:
      return `In ${year(r)}, ${r.pick(PEOPLE)} ${r.pick(VERBS)} the ${r.pick(ADJ)} ${r.pick(NOUNS)} near ${r.pick(PLACES)}.`;
    case 1:
      return `The ${r.pick(NOUNS)} in ${r.pick(PLACES)} is about ${num(r)} ${r.pick(UNITS)} long, according to a survey from ${year(r)}.`;
    case 2:
      return `${cap(r.pick(TOPICS))} is one of the most studied subjects in ${r.pick(FIELDS)}, and it explains why the ${r.pick(NOUNS)} changed over time.`;
    case 3:
      return `Historians say that the ${r.pick(ADJ)} ${r.pick(NOUNS)} was ${r.pick(VERBS)} on ${1 + r.int(28)} ${r.pick(MONTHS)} ${year(r)}.`;
    case 4:
      return `"We ${r.pick(VERBS)} it twice," she wrote, "and the result was ${num(r)} both times."`;
    case 5:
      return `Because the ${r.pick(NOUNS)} was ${r.pick(ADJ)}, the council ${r.pick(VERBS)} a new plan; by ${year(r)} it housed ${num(r)} ${r.pick(UNITS)}.`;
    case 6:
      return `${r.pick(PEOPLE)} was born in ${r.pick(PLACES)} and later worked on ${r.pick(TOPICS)}.`;
    case 7:
      return `The average temperature there is ${r.int(35)}°C in ${r.pick(MONTHS)}, while the record is ${20 + r.int(25)}.${r.int(10)}°C.`;
    case 8:
      return `It isn't clear who ${r.pick(VERBS)} the first ${r.pick(NOUNS)}; some sources name ${r.pick(PEOPLE)}, others don't.`;
    case 9:
      return `About ${r.int(100)}% of the ${r.pick(UNITS)} counted in ${year(r)} came from ${r.pick(PLACES)} — roughly ${num(r)} in total.`;
    case 10:
      return `What made ${r.pick(TOPICS)} important? Mainly its effect on the ${r.pick(ADJ)} ${r.pick(NOUNS)}s of ${r.pick(PLACES)}.`;
    case 11:
      return `The ${r.pick(NOUNS)} (${year(r)}–${year(r)}) is ${r.pick(ADJ)}, but the ${r.pick(NOUNS)} beside it is even more ${r.pick(ADJ)}.`;
    case 12:
      return `Researchers in ${r.pick(FIELDS)} have ${r.pick(VERBS)} ${r.pick(TOPICS)} for more than ${2 + r.int(300)} years.`;
    case 13:
      return `There are ${num(r)} ${r.pick(UNITS)} in the collection, and ${r.int(500)} of them were ${r.pick(VERBS)} after ${year(r)}.`;
    case 15:
      return `${r.pick(LINKS)}, most ${r.pick(EVERYDAY)} ${r.pick(ACTIONS)} the ${r.pick(EVERYDAY)} when they can, and then they ${r.pick(ACTIONS)} what they have.`;
    case 16:
      return `If you ${r.pick(ACTIONS)} a ${r.pick(EVERYDAY)}, you should also ${r.pick(ACTIONS)} the ${r.pick(EVERYDAY)} that comes with it.`;
    case 17:
      return `${r.pick(LINKS)}, the ${r.pick(EVERYDAY)} could not ${r.pick(ACTIONS)} the ${r.pick(EVERYDAY)}, so nobody was sure which ${r.pick(EVERYDAY)} to ${r.pick(ACTIONS)}.`;
    case 14:
      return `Its name comes from an ${r.pick(ADJ)} word for "${r.pick(NOUNS)}", and it's still used in ${r.pick(PLACES)} today.`;
    default:
      return `The ${r.pick(ADJ)} ${r.pick(NOUNS)} of ${r.pick(PLACES)} was ${r.pick(VERBS)} by ${r.pick(PEOPLE)} in ${year(r)}.`;
  }
}

function paragraph(r: Rng): string {
  const n = 3 + r.int(5);
  return Array.from({ length: n }, () => sentence(r)).join(" ");
}

function mathSolution(r: Rng): string {
  const a = 2 + r.int(40);
  const b = 2 + r.int(40);
  const c = 1 + r.int(9);
  switch (r.int(6)) {
    case 0:
      return `We need $${a} \\times ${b}$. First, ${a} \\cdot ${b} = ${a * b}. So the answer is \\boxed{${a * b}}.`;
    case 1:
      return `Let $x$ satisfy $${a}x + ${b} = ${a * c + b}$. Subtracting ${b} gives $${a}x = ${a * c}$, so $x = ${c}$. Therefore \\boxed{${c}}.`;
    case 2:
      return `The fraction simplifies: $\\frac{${a * c}}{${b * c}} = \\frac{${a}}{${b}}$. The final answer is \\boxed{\\frac{${a}}{${b}}}.`;
    case 3:
      return `Using the Pythagorean theorem, $c = \\sqrt{${a}^2 + ${b}^2} = \\sqrt{${a * a + b * b}}$. Answer: \\boxed{\\sqrt{${a * a + b * b}}}.`;
    case 4:
      return `The sum $\\sum_{k=1}^{${a}} k = \\frac{${a}(${a}+1)}{2} = ${(a * (a + 1)) / 2}$, hence \\boxed{${(a * (a + 1)) / 2}}.`;
    default:
      return `Step 1: the rate is ${a} per hour. Step 2: over ${b} hours that is ${a * b}. Step 3: minus ${c} gives ${a * b - c}. The answer is \\boxed{${a * b - c}}.`;
  }
}

function jsonTask(r: Rng): string {
  const k = r.int(3);
  if (k === 0) {
    const x = 1 + r.int(500);
    return JSON.stringify({
      question: `How many ${r.pick(UNITS)} did the ${r.pick(NOUNS)} in ${r.pick(PLACES)} hold in ${year(r)}?`,
      answer: String(x),
      answer_type: "Integer",
    });
  }
  if (k === 1) {
    const opts = [r.pick(PEOPLE), r.pick(PEOPLE), r.pick(PEOPLE), r.pick(PEOPLE)];
    return JSON.stringify({
      question: `Who ${r.pick(VERBS)} ${r.pick(TOPICS)} first?`,
      options: { A: opts[0], B: opts[1], C: opts[2], D: opts[3] },
      answer: r.pick(["A", "B", "C", "D"]),
    });
  }
  return JSON.stringify({
    task_type: r.pick(["mcq", "free_form"]),
    answer_type: r.pick(["Integer", "Expression", "String", null]),
    reason: `The document gives a clear fact about ${r.pick(TOPICS)}.`,
  });
}

export function makeTokenizerCorpus(seed: number, targetBytes: number): string {
  const r = createRng(seed);
  const parts: string[] = [];
  let size = 0;
  while (size < targetBytes) {
    const k = r.int(10);
    let block: string;
    if (k < 6) block = paragraph(r);
    else if (k < 8) block = `Question: ${sentence(r)} ${mathSolution(r)}`;
    else if (k < 9) block = `\`\`\`json\n${jsonTask(r)}\n\`\`\``;
    else block = `Document: ${paragraph(r)}\n${jsonTask(r)}`;
    parts.push(block);
    size += Buffer.byteLength(block) + 2;
  }
  return `${parts.join("\n\n")}\n`;
}

if (import.meta.main) {
  const arg = (flag: string, dflt: number) => {
    const i = process.argv.indexOf(flag);
    return i >= 0 ? Number(process.argv[i + 1]) : dflt;
  };
  const text = makeTokenizerCorpus(arg("--seed", 7), arg("--bytes", 200_000));
  const out = join(import.meta.dir, "tokenizer-corpus.txt");
  writeFileSync(out, text);
  console.error(`wrote ${out} (${Buffer.byteLength(text)} bytes)`);
}
