/**
 * The toy world's small, regular vocabulary. Every word list is short on purpose: a tiny
 * byte-level model has to learn the language before it can learn the arithmetic.
 */

export const NAMES = [
  "Ana",
  "Ben",
  "Cal",
  "Dan",
  "Eva",
  "Fay",
  "Gus",
  "Ida",
  "Jon",
  "Kim",
  "Leo",
  "Mia",
  "Ned",
  "Ola",
  "Pam",
  "Rex",
  "Sam",
  "Tia",
  "Uma",
  "Viv",
] as const;

/** Things people own in stories (plural forms). */
export const ITEMS = ["apples", "pens", "cards", "eggs", "books", "coins", "shells", "stamps"] as const;

/** Goods in price tables: [singular, plural]. */
export const GOODS = [
  ["pen", "pens"],
  ["cup", "cups"],
  ["hat", "hats"],
  ["bag", "bags"],
  ["lamp", "lamps"],
  ["book", "books"],
  ["ball", "balls"],
  ["kite", "kites"],
  ["sock", "socks"],
  ["mug", "mugs"],
] as const;

export const SHOPS = ["market", "shop", "fair", "kiosk", "store"] as const;

/** Nested containers for unit conversions: what is counted, the small unit, the big unit (singular and plural). */
export const UNITS = [
  { thing: "eggs", small: ["box", "boxes"], big: ["crate", "crates"] },
  { thing: "pens", small: ["pack", "packs"], big: ["carton", "cartons"] },
  { thing: "cards", small: ["deck", "decks"], big: ["case", "cases"] },
  { thing: "apples", small: ["bag", "bags"], big: ["cart", "carts"] },
  { thing: "cups", small: ["stack", "stacks"], big: ["shelf", "shelves"] },
] as const;

export const EVENTS = ["fair", "trip", "game", "show", "party", "race", "camp", "class", "sale", "visit"] as const;

export const DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"] as const;
