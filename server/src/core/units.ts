// Byte arithmetic and formatting. Every figure is affine in the batch: fixed + perSample x N.
// Figures are JS numbers checked to stay safe integers (< 2^53); anything larger is reported
// as an overflow by the caller instead of being printed wrong.

export interface SymbolicBytes {
  readonly fixed: number;
  readonly perSample: number;
}

export const ZERO_BYTES: SymbolicBytes = { fixed: 0, perSample: 0 };

export function symbolic(fixed: number, perSample: number): SymbolicBytes {
  return { fixed, perSample };
}

export function addBytes(a: SymbolicBytes, b: SymbolicBytes): SymbolicBytes {
  return { fixed: a.fixed + b.fixed, perSample: a.perSample + b.perSample };
}

export function scaleBytes(a: SymbolicBytes, k: number): SymbolicBytes {
  return { fixed: a.fixed * k, perSample: a.perSample * k };
}

/** bytes at a concrete batch size */
export function atBatch(a: SymbolicBytes, batch: number): number {
  return a.fixed + a.perSample * batch;
}

export function isSafeBytes(a: SymbolicBytes): boolean {
  return Number.isSafeInteger(a.fixed) && Number.isSafeInteger(a.perSample);
}

/** product of dims, or undefined when it leaves the safe-integer range */
export function safeProduct(dims: readonly number[]): number | undefined {
  let p = 1;
  for (const d of dims) {
    p *= d;
    if (!Number.isSafeInteger(p)) return undefined;
  }
  return p;
}

const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** 1536 -> "1.5 KiB"; three significant digits, binary units */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'overflow';
  const sign = bytes < 0 ? '-' : '';
  let v = Math.abs(bytes);
  let unit = 0;
  while (v >= 1024 && unit < BINARY_UNITS.length - 1) {
    v /= 1024;
    unit++;
  }
  if (unit === 0) return `${sign}${v} B`;
  const digits = v >= 100 ? 0 : v >= 10 ? 1 : 2;
  return `${sign}${stripZeros(v.toFixed(digits))} ${BINARY_UNITS[unit]}`;
}

function stripZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** "98 MiB + 3.1 MiB x N"; omits a zero term */
export function formatSymbolic(a: SymbolicBytes): string {
  if (a.perSample === 0) return formatBytes(a.fixed);
  const per = `${formatBytes(a.perSample)} x N`;
  return a.fixed === 0 ? per : `${formatBytes(a.fixed)} + ${per}`;
}

/** 25557032 -> "25.6M"; 37000 -> "37K" */
export function formatCount(n: number): string {
  const abs = Math.abs(n);
  if (abs < 1000) return String(n);
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'K'],
  ];
  for (const [scale, suffix] of units) {
    if (abs >= scale) {
      const v = n / scale;
      const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
      return `${stripZeros(v.toFixed(digits))}${suffix}`;
    }
  }
  return String(n);
}

/** 25557032 -> "25,557,032" */
export function formatInt(n: number): string {
  return n.toLocaleString('en-US');
}

const SIZE_UNITS: Readonly<Record<string, number>> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KIB: 1024,
  MIB: 1024 ** 2,
  GIB: 1024 ** 3,
  TIB: 1024 ** 4,
};

/** "16GiB" / "512MB" / "900 MiB" -> bytes; undefined when not a size */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*$/.exec(text);
  if (!m) return undefined;
  const factor = SIZE_UNITS[m[2]!.toUpperCase()];
  if (factor === undefined) return undefined;
  const bytes = Math.round(Number(m[1]) * factor);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

export function sizeUnitFactor(unit: string): number | undefined {
  return SIZE_UNITS[unit.toUpperCase()];
}
