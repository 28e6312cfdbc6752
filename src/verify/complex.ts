/** Minimal complex arithmetic for numeric sampling (X1). Real inputs stay on real paths. */
export interface Complex {
  re: number;
  im: number;
}

export const C = (re: number, im = 0): Complex => ({ re, im });
export const NAN: Complex = { re: NaN, im: NaN };

export function add(a: Complex, b: Complex): Complex {
  return C(a.re + b.re, a.im + b.im);
}

export function sub(a: Complex, b: Complex): Complex {
  return C(a.re - b.re, a.im - b.im);
}

export function mul(a: Complex, b: Complex): Complex {
  // The real path keeps ∞·1 = ∞ instead of ∞ + NaN·i.
  if (a.im === 0 && b.im === 0) return C(a.re * b.re);
  return C(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re);
}

export function div(a: Complex, b: Complex): Complex {
  if (b.re === 0 && b.im === 0) return NAN;
  if (a.im === 0 && b.im === 0) return C(a.re / b.re);
  const d = b.re * b.re + b.im * b.im;
  return C((a.re * b.re + a.im * b.im) / d, (a.im * b.re - a.re * b.im) / d);
}

export const neg = (a: Complex): Complex => C(-a.re, a.im === 0 ? 0 : -a.im);
export const abs = (a: Complex): number => (a.im === 0 ? Math.abs(a.re) : Math.hypot(a.re, a.im));

export function exp(a: Complex): Complex {
  if (a.im === 0) return C(Math.exp(a.re));
  const m = Math.exp(a.re);
  return C(m * Math.cos(a.im), m * Math.sin(a.im));
}

export function ln(a: Complex): Complex {
  if (a.im === 0 && a.re > 0) return C(Math.log(a.re));
  if (a.re === 0 && a.im === 0) return NAN;
  return C(Math.log(abs(a)), Math.atan2(a.im, a.re));
}

export function pow(a: Complex, b: Complex): Complex {
  if (b.im === 0 && a.im === 0 && (a.re >= 0 || Number.isInteger(b.re))) {
    if (a.re === 0 && b.re <= 0) return NAN;
    return C(a.re ** b.re);
  }
  if (a.re === 0 && a.im === 0) return b.re > 0 ? C(0) : NAN;
  if (b.im === 0 && Number.isInteger(b.re) && Math.abs(b.re) <= 64) {
    // Repeated multiplication keeps i^2 = -1 exact, where exp(2 ln i) would leave 1e-16·i.
    let r = C(1);
    for (let k = 0; k < Math.abs(b.re); k++) r = mul(r, a);
    return b.re < 0 ? div(C(1), r) : r;
  }
  return exp(mul(b, ln(a)));
}

export function sqrt(a: Complex): Complex {
  if (a.im === 0 && a.re >= 0) return C(Math.sqrt(a.re));
  if (a.im === 0) return C(0, Math.sqrt(-a.re));
  return pow(a, C(0.5));
}

/** The real n-th root for real radicands and odd n (X1: `\sqrt[3]{-8}` = -2). */
export function root(a: Complex, n: Complex): Complex {
  if (a.im === 0 && n.im === 0 && Number.isInteger(n.re) && n.re !== 0) {
    if (a.re >= 0) return C(a.re ** (1 / n.re));
    if (Math.abs(n.re) % 2 === 1) return C(-((-a.re) ** (1 / n.re)));
  }
  return pow(a, div(C(1), n));
}

export function sin(a: Complex): Complex {
  if (a.im === 0) return C(Math.sin(a.re));
  return C(Math.sin(a.re) * Math.cosh(a.im), Math.cos(a.re) * Math.sinh(a.im));
}

export function cos(a: Complex): Complex {
  if (a.im === 0) return C(Math.cos(a.re));
  return C(Math.cos(a.re) * Math.cosh(a.im), -Math.sin(a.re) * Math.sinh(a.im));
}

export const tan = (a: Complex): Complex => div(sin(a), cos(a));
export const sinh = (a: Complex): Complex => div(sub(exp(a), exp(neg(a))), C(2));
export const cosh = (a: Complex): Complex => div(add(exp(a), exp(neg(a))), C(2));
export const tanh = (a: Complex): Complex => div(sinh(a), cosh(a));

const I = C(0, 1);

export function asin(a: Complex): Complex {
  if (a.im === 0 && Math.abs(a.re) <= 1) return C(Math.asin(a.re));
  // -i ln(iz + sqrt(1 - z^2))
  return mul(C(0, -1), ln(add(mul(I, a), sqrt(sub(C(1), mul(a, a))))));
}

export function acos(a: Complex): Complex {
  if (a.im === 0 && Math.abs(a.re) <= 1) return C(Math.acos(a.re));
  return sub(C(Math.PI / 2), asin(a));
}

export function atan(a: Complex): Complex {
  if (a.im === 0) return C(Math.atan(a.re));
  // (i/2) ln((i + z) / (i - z))
  return mul(C(0, 0.5), ln(div(add(I, a), sub(I, a))));
}

/** Γ(z) for real z by the Lanczos approximation; complex arguments are not needed here. */
export function gamma(a: Complex): Complex {
  if (a.im !== 0) return NAN;
  const x = a.re;
  if (Number.isInteger(x) && x <= 0) return NAN;
  if (x < 0.5) return C(Math.PI / (Math.sin(Math.PI * x) * gamma(C(1 - x)).re));
  const g = 7;
  const coef = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  const y = x - 1;
  let s = coef[0]!;
  for (let k = 1; k < g + 2; k++) s += coef[k]! / (y + k);
  const t = y + g + 0.5;
  return C(Math.sqrt(2 * Math.PI) * t ** (y + 0.5) * Math.exp(-t) * s);
}
