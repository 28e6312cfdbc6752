/**
 * Seeded synthetic documents: the committed sample corpus (word problems, science and history
 * passages with numbers and facts) and larger corpora for benchmarks. Same seed, same text.
 */
export interface SyntheticDocument {
  id: string;
  text: string;
  metadata: { kind: "word_problem" | "science" | "history"; generator: string; seed: number };
}

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = [
  "Maria",
  "Kofi",
  "Ana",
  "Liang",
  "Priya",
  "Tomas",
  "Aiko",
  "Omar",
  "Elena",
  "Jonas",
  "Zara",
  "Mateo",
  "Nadia",
  "Hugo",
  "Leila",
  "Ravi",
  "Sofia",
  "Ivan",
  "Amara",
  "Felix",
];
const ITEMS: [string, string][] = [
  ["notebook", "notebooks"],
  ["pencil", "pencils"],
  ["apple", "apples"],
  ["ticket", "tickets"],
  ["plant pot", "plant pots"],
  ["book", "books"],
  ["jar of honey", "jars of honey"],
  ["bag of rice", "bags of rice"],
  ["lamp", "lamps"],
  ["scarf", "scarves"],
];
const TOWNS = [
  "Eldermoor",
  "Brackwater",
  "Kestrel Ford",
  "Ashby Vale",
  "Marrowgate",
  "Thistlecombe",
  "Orrin Bay",
  "Caldera Point",
  "Wyndham Cross",
  "Saltmere",
  "Greyhollow",
  "Dunmore Reach",
];
const TRADES = ["wool", "salt", "timber", "glass", "copper", "barley", "linen", "clay pottery", "dried fish", "paper"];

const PLANETS: [string, number, number, number][] = [
  // name, mean distance from the Sun (million km), orbital period (Earth days), known moons (rounded, as commonly cited)
  ["Mercury", 58, 88, 0],
  ["Venus", 108, 225, 0],
  ["Earth", 150, 365, 1],
  ["Mars", 228, 687, 2],
];
const ELEMENTS: [string, string, number][] = [
  ["hydrogen", "H", 1],
  ["helium", "He", 2],
  ["carbon", "C", 6],
  ["nitrogen", "N", 7],
  ["oxygen", "O", 8],
  ["sodium", "Na", 11],
  ["aluminium", "Al", 13],
  ["silicon", "Si", 14],
  ["iron", "Fe", 26],
  ["copper", "Cu", 29],
  ["silver", "Ag", 47],
  ["gold", "Au", 79],
];

type Gen = (r: () => number, i: number) => string;
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: () => number, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

const wordProblems: Gen[] = [
  (r) => {
    const [n, [one, many], a, b, c] = [pick(r, NAMES), pick(r, ITEMS), int(r, 2, 9), int(r, 2, 15), int(r, 1, 5)];
    const paid = Math.ceil((a * b) / 10) * 10 + 10 * c;
    return `${n} buys ${a} ${a === 1 ? one : many} that cost ${b} dollars each. ${n} pays with ${paid} dollars, so the total cost is ${a * b} dollars and the change is ${paid - a * b} dollars.`;
  },
  (r) => {
    const [n, speed, hours, extra] = [pick(r, NAMES), int(r, 40, 110), int(r, 2, 7), int(r, 10, 90)];
    return `A train driven by ${n} travels at a steady ${speed} kilometres per hour for ${hours} hours and then covers another ${extra} kilometres on a branch line. The whole journey is ${speed * hours + extra} kilometres long, of which ${speed * hours} kilometres are on the main line.`;
  },
  (r) => {
    const [n, w, h, cost] = [pick(r, NAMES), int(r, 3, 20), int(r, 3, 20), int(r, 2, 12)];
    return `${n} is tiling a rectangular floor that measures ${w} metres by ${h} metres. The area of the floor is ${w * h} square metres and its perimeter is ${2 * (w + h)} metres. At ${cost} dollars per square metre, the tiles cost ${w * h * cost} dollars in total.`;
  },
  (r) => {
    const [n, m, start, rate, years] = [pick(r, NAMES), pick(r, NAMES), int(r, 100, 900), int(r, 2, 9), int(r, 2, 4)];
    const end = Math.round(start * (1 + rate / 100) ** years * 100) / 100;
    return `${n} lends ${m} a sum of ${start} dollars at ${rate} percent interest compounded yearly. After ${years} years the debt has grown to ${end} dollars, an increase of ${Math.round((end - start) * 100) / 100} dollars.`;
  },
  (r) => {
    const [n, total, share] = [pick(r, NAMES), int(r, 3, 12) * 12, pick(r, [2, 3, 4, 6])];
    return `A school club led by ${n} collected ${total} books for a library drive. One ${share === 2 ? "half" : `in ${share}`} of the books were novels, which makes ${total / share} novels, and the remaining ${total - total / share} books were atlases, dictionaries and textbooks.`;
  },
];

const science: Gen[] = [
  (r) => {
    const [name, d, days, moons] = pick(r, PLANETS);
    return `${name} orbits the Sun at an average distance of about ${d} million kilometres and completes one orbit in roughly ${days} Earth days. It has ${moons === 0 ? "no moons" : moons === 1 ? "one moon" : `${moons} moons`}. Light from the Sun, travelling at about 300,000 kilometres per second, needs around ${Math.round((d * 1e6) / 3e5 / 6) / 10} minutes to reach it.`;
  },
  (r) => {
    const [name, sym, z] = pick(r, ELEMENTS);
    const n = int(r, 2, 6);
    return `The element ${name} has the chemical symbol ${sym} and atomic number ${z}, so a neutral atom of ${name} contains ${z} protons and ${z} electrons. A sample of ${n} such atoms therefore holds ${n * z} protons in total.`;
  },
  (r) => {
    const [mass, acc] = [int(r, 2, 40), int(r, 2, 12)];
    return `Newton's second law states that force equals mass times acceleration. A cart with a mass of ${mass} kilograms that accelerates at ${acc} metres per second squared is pushed by a net force of ${mass * acc} newtons. Doubling the mass at the same force would halve the acceleration to ${acc / 2} metres per second squared.`;
  },
  (r) => {
    const [c] = [int(r, -20, 110)];
    return `Water at sea level freezes at 0 degrees Celsius and boils at 100 degrees Celsius. To convert a temperature to Fahrenheit, multiply by 9, divide by 5 and add 32. A reading of ${c} degrees Celsius is therefore ${Math.round(((c * 9) / 5 + 32) * 10) / 10} degrees Fahrenheit, which is ${c < 0 ? "below freezing" : c >= 100 ? "at or above boiling" : "between freezing and boiling"}.`;
  },
  (r) => {
    const [v, t] = [int(r, 5, 60), int(r, 2, 20)];
    return `An object in free fall near the Earth's surface gains about 9.8 metres per second of speed every second. A ball thrown downward at ${v} metres per second is moving at about ${Math.round((v + 9.8 * t) * 10) / 10} metres per second after ${t} seconds, ignoring air resistance.`;
  },
];

const history: Gen[] = [
  (r) => {
    const [town, trade, founded, pop] = [pick(r, TOWNS), pick(r, TRADES), int(r, 1100, 1700), int(r, 8, 90) * 100];
    const charter = founded + int(r, 20, 150);
    return `The fictional market town of ${town} was founded in ${founded} on the trade in ${trade}. It received its royal charter in ${charter}, ${charter - founded} years after its founding, and by its first census it counted ${pop} inhabitants.`;
  },
  (r) => {
    const [town, a, b, ships] = [pick(r, TOWNS), int(r, 1500, 1850), int(r, 3, 40), int(r, 4, 60)];
    return `In ${a} a great storm struck the fictional harbour of ${town}, sinking ${ships} ships at anchor. Rebuilding the sea wall took ${b} years and was completed in ${a + b}. The town's chroniclers recorded that ${Math.round(ships / 2)} of the lost ships had carried grain.`;
  },
  (r) => {
    const facts: [string, number, string][] = [
      ["the Battle of Hastings", 1066, "William of Normandy defeated King Harold II"],
      ["the signing of Magna Carta", 1215, "King John agreed to limits on royal power at Runnymede"],
      ["the fall of Constantinople", 1453, "the Ottoman army under Mehmed II took the city"],
      ["the first Moon landing", 1969, "Apollo 11 landed Neil Armstrong and Buzz Aldrin on the Moon"],
      ["the fall of the Berlin Wall", 1989, "crowds crossed freely between East and West Berlin"],
    ];
    const [what, year, detail] = pick(r, facts);
    const since = int(r, 2000, 2030);
    return `Historians date ${what} to ${year}, when ${detail}. Counting from ${year} to ${since} gives ${since - year} years, and the event falls in the ${centuryName(Math.floor((year - 1) / 100) + 1)} century.`;
  },
  (r) => {
    const [town, built, len, arches] = [pick(r, TOWNS), int(r, 1200, 1900), int(r, 40, 400), int(r, 3, 21)];
    return `The old stone bridge of the fictional town of ${town} was completed in ${built}. It is ${len} metres long and rests on ${arches} arches, so each span averages about ${Math.round((len / arches) * 10) / 10} metres. It carried tolls until ${built + int(r, 50, 200)}.`;
  },
];

function centuryName(n: number): string {
  const s =
    n % 100 >= 11 && n % 100 <= 13 ? "th" : (({ 1: "st", 2: "nd", 3: "rd" } as Record<number, string>)[n % 10] ?? "th");
  return `${n}${s}`;
}

const KINDS = [
  ["word_problem", wordProblems],
  ["science", science],
  ["history", history],
] as const;

/** `n` short documents, kinds in rotation; a second sentence from another template keeps them distinct. */
export function generateSampleDocuments(n: number, seed = 1): SyntheticDocument[] {
  const r = rng(seed);
  const out: SyntheticDocument[] = [];
  const seen = new Set<string>();
  for (let i = 0; out.length < n; i++) {
    const [kind, gens] = KINDS[i % KINDS.length]!;
    const text = `${pick(r, gens)(r, i)} ${pick(r, gens)(r, i)}`;
    if (seen.has(text)) continue;
    seen.add(text);
    out.push({
      id: `sample-${String(out.length + 1).padStart(4, "0")}`,
      text,
      metadata: { kind, generator: "src/corpus/synthetic.ts", seed },
    });
  }
  return out;
}

/** Clustered unit vectors (never isotropic: on isotropic vectors ranks 2–10 are noise, so recall@10 measures nothing): `clusters` centres plus noise. */
export function clusteredVectors(n: number, dim: number, clusters: number, seed: number, noise = 0.35): Float32Array[] {
  const r = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const centres = Array.from({ length: clusters }, () => normalize(Float32Array.from({ length: dim }, gauss)));
  return Array.from({ length: n }, () => {
    const c = centres[Math.floor(r() * clusters)]!;
    return normalize(Float32Array.from(c, (x) => x + (noise / Math.sqrt(dim)) * gauss()));
  });
}

export function normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const inv = 1 / Math.sqrt(s || 1);
  for (let i = 0; i < v.length; i++) v[i]! *= inv;
  return v;
}
