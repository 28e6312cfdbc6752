import type { Rng } from "../prng.ts";
import { between, distinct, distinctInts, shuffleOptions } from "./pick.ts";
import type { DocumentDraft, Kind, NumberKnobs, TaskDraft } from "./types.ts";
import { DAYS, EVENTS, GOODS, ITEMS, NAMES, SHOPS, UNITS } from "./vocab.ts";

/**
 * The four document kinds. Each draws one short document and, from it, one task per
 * difficulty: `one_step` (a single operation), `two_step` (two chained operations) and
 * `comparison` (which is largest, or by how much one exceeds another). Questions restate
 * the facts they need, because the reasoner never sees the document.
 */

export type KindGenerator = (rng: Rng, knobs: NumberKnobs) => DocumentDraft;

const plural = (n: number, one: string, many: string): string => (n === 1 ? one : many);

function integerTask(
  difficulty: TaskDraft["difficulty"],
  question: string,
  answer: number,
  steps: string[],
): TaskDraft {
  return { question, answer: String(answer), answerType: "Integer", difficulty, steps };
}

/** A story about who has how many of something. */
const story: KindGenerator = (rng, { maxNumber }) => {
  const [a, b, c, d] = distinct(rng, NAMES, 4) as [string, string, string, string];
  const item = rng.pick(ITEMS);
  let va: number, up: number, down: number, vd: number, vb: number, vc: number;
  // Four distinct counts, so "who has the most / fewest" has exactly one answer.
  do {
    va = between(rng, 1, maxNumber);
    up = between(rng, 1, maxNumber);
    vb = va + up;
    down = between(rng, 1, Math.min(maxNumber, vb - 1));
    vc = vb - down;
    vd = between(rng, 1, maxNumber);
  } while (new Set([va, vb, vc, vd]).size < 4);
  const s1 = `${a} has ${va} ${item}.`;
  const s2 = `${b} has ${up} more ${item} than ${a}.`;
  const s3 = `${c} has ${down} fewer ${item} than ${b}.`;
  const counts: [string, number][] = [
    [a, va],
    [b, vb],
    [c, vc],
    [d, vd],
  ];
  const most = rng.next() < 0.5;
  const [winner, best] = counts.reduce((w, x) => ((most ? x[1] > w[1] : x[1] < w[1]) ? x : w));
  const mcq = shuffleOptions(
    rng,
    winner,
    counts.map(([n]) => n).filter((n) => n !== winner),
  );
  return {
    text: `${s1} ${s2} ${s3} ${d} has ${vd} ${item}.`,
    facts: { item, [a]: va, [b]: vb, [c]: vc, [d]: vd },
    tasks: [
      integerTask("one_step", `${s1} ${s2} How many ${item} does ${b} have?`, vb, [`${b} has ${va} + ${up} = ${vb}.`]),
      integerTask("two_step", `${s1} ${s2} ${s3} How many ${item} does ${c} have?`, vc, [
        `${b} has ${va} + ${up} = ${vb}.`,
        `${c} has ${vb} - ${down} = ${vc}.`,
      ]),
      {
        question: `${a} has ${va} ${item}, ${b} has ${vb}, ${c} has ${vc} and ${d} has ${vd}. Who has the ${most ? "most" : "fewest"} ${item}?`,
        answer: mcq.letter,
        answerType: "MCQ",
        options: mcq.options,
        difficulty: "comparison",
        steps: [`The ${most ? "most" : "fewest"} is ${best}, ${winner}.`, `${winner} is option ${mcq.letter}.`],
      },
    ],
  };
};

/** A small price table and what someone buys. */
const table: KindGenerator = (rng, { maxNumber, maxFactor }) => {
  const goods = distinct(rng, GOODS, 4);
  const prices = distinctInts(rng, 1, maxNumber, 4);
  const shop = rng.pick(SHOPS);
  const buyer = rng.pick(NAMES);
  const costs = (k: number) => `a ${goods[k]![0]} costs ${prices[k]} ${plural(prices[k]!, "coin", "coins")}`;
  const cap = (s: string) => s[0]!.toUpperCase() + s.slice(1);
  const g1s = goods[0]![1];
  const g2 = goods[1]![0];
  const [p1, p2] = prices as [number, number];
  const n = between(rng, 2, maxFactor);
  const buys = `${buyer} buys ${n} ${g1s}`;
  const [i, j] = distinct(rng, [0, 1, 2, 3], 2) as [number, number];
  const [hi, lo] = prices[i]! > prices[j]! ? [i, j] : [j, i];
  const diff = prices[hi]! - prices[lo]!;
  return {
    text: `Prices at the ${shop}: ${[0, 1, 2].map(costs).join(", ")} and ${costs(3)}. ${buys} and one ${g2}.`,
    facts: { ...Object.fromEntries(goods.map(([one], k) => [one, prices[k]!])), [`${g1s} bought by ${buyer}`]: n },
    tasks: [
      integerTask("one_step", `${cap(costs(0))}. ${buys}. How many coins does ${buyer} pay?`, n * p1, [
        `${n} x ${p1} = ${n * p1}.`,
      ]),
      integerTask(
        "two_step",
        `${cap(costs(0))} and ${costs(1)}. ${buys} and one ${g2}. How many coins does ${buyer} pay?`,
        n * p1 + p2,
        [`${n} ${g1s} cost ${n} x ${p1} = ${n * p1}.`, `${n * p1} + ${p2} = ${n * p1 + p2}.`],
      ),
      integerTask(
        "comparison",
        `${cap(costs(i))} and ${costs(j)}. How many more coins does the ${goods[hi]![0]} cost than the ${goods[lo]![0]}?`,
        diff,
        [`${prices[hi]} - ${prices[lo]} = ${diff}.`],
      ),
    ],
  };
};

/** Unit conversions between nested containers. */
const units: KindGenerator = (rng, { maxFactor }) => {
  const { thing, small, big } = rng.pick(UNITS);
  const [a, b, n, m] = [0, 0, 0, 0].map(() => between(rng, 2, maxFactor)) as [number, number, number, number];
  const [p, q] = distinct(rng, NAMES, 2) as [string, string];
  const s1 = `One ${small[0]} holds ${a} ${thing}.`;
  const s2 = `One ${big[0]} holds ${b} ${small[1]}.`;
  const ab = a * b;
  return {
    text: `${s1} ${s2} ${p} has ${n} ${big[1]} of ${thing}. ${q} has ${m} ${small[1]} of ${thing}.`,
    facts: {
      thing,
      [`${thing} per ${small[0]}`]: a,
      [`${small[1]} per ${big[0]}`]: b,
      [`${big[1]} of ${p}`]: n,
      [`${small[1]} of ${q}`]: m,
    },
    tasks: [
      integerTask("one_step", `${s1} ${q} has ${m} ${small[1]}. How many ${thing} does ${q} have?`, m * a, [
        `${m} x ${a} = ${m * a}.`,
      ]),
      integerTask("two_step", `${s1} ${s2} ${p} has ${n} ${big[1]}. How many ${thing} does ${p} have?`, n * ab, [
        `One ${big[0]} holds ${b} x ${a} = ${ab}.`,
        `${n} ${big[1]} hold ${n} x ${ab} = ${n * ab}.`,
      ]),
      integerTask(
        "comparison",
        `${s1} ${s2} ${p} has one ${big[0]} and ${q} has one ${small[0]}. How many more ${thing} does ${p} have than ${q}?`,
        ab - a,
        [`One ${big[0]} holds ${b} x ${a} = ${ab}.`, `${ab} - ${a} = ${ab - a}.`],
      ),
    ],
  };
};

/** Counting forward through the week, one day per step, so the solution shows its work. */
function countDays(from: number, days: number): string {
  const seen = Array.from({ length: days }, (_, k) => `${DAYS[(from + k + 1) % 7]} ${k + 1}`);
  return `Counting from ${DAYS[from]}: ${seen.join(", ")}.`;
}

/** Dates as days of the week. */
const dates: KindGenerator = (rng, { maxNumber }) => {
  const [e1, e2] = distinct(rng, EVENTS, 2) as [string, string];
  const who = rng.pick(NAMES);
  const span = Math.min(6, maxNumber);
  let d1: number, d2: number;
  // A total of a whole week would make the answer the start day, which the question names.
  do {
    d1 = between(rng, 1, span);
    d2 = between(rng, 1, span);
  } while ((d1 + d2) % 7 === 0);
  const s = rng.int(7);
  const e = (s + d1) % 7;
  const f = (e + d2) % 7;
  const gap = (f - s + 7) % 7;
  const days = (n: number) => `${n} ${plural(n, "day", "days")}`;
  const opening = `${who}'s ${e1} starts on ${DAYS[s]} and ends ${days(d1)} later.`;
  return {
    text: `${who}'s ${e1} starts on ${DAYS[s]}. It ends ${days(d1)} later. The ${e2} is ${days(d2)} after the ${e1} ends.`,
    facts: { [`${e1} starts`]: DAYS[s]!, [`${e1} ends`]: DAYS[e]!, [e2]: DAYS[f]! },
    tasks: [
      {
        question: `${opening} On what day does the ${e1} end?`,
        answer: DAYS[e]!,
        answerType: "String",
        difficulty: "one_step",
        steps: [countDays(s, d1)],
      },
      {
        question: `${opening} The ${e2} is ${days(d2)} after the ${e1} ends. On what day is the ${e2}?`,
        answer: DAYS[f]!,
        answerType: "String",
        difficulty: "two_step",
        steps: [countDays(s, d1), countDays(e, d2)],
      },
      integerTask(
        "comparison",
        `${who}'s ${e1} is on ${DAYS[s]} and the ${e2} is on the next ${DAYS[f]}. How many days after the ${e1} is the ${e2}?`,
        gap,
        [countDays(s, gap)],
      ),
    ],
  };
};

export const KIND_GENERATORS: Record<Kind, KindGenerator> = { story, table, units, dates };
