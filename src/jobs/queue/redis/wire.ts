// Job data and results cross Redis as JSON. Buffer's own JSON form is an array of numbers (four
// times the bytes and slow to parse), so images travel as base64 strings in { $b64 } boxes.

type Boxed = { $b64: string };

function isBoxed(v: unknown): v is Boxed {
  return typeof v === 'object' && v !== null && typeof (v as Boxed).$b64 === 'string' && Object.keys(v).length === 1;
}

export function toWire(value: unknown): unknown {
  if (value instanceof Uint8Array) return { $b64: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  if (Array.isArray(value)) return value.map(toWire);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toWire(v);
    return out;
  }
  return value;
}

export function fromWire<T>(value: unknown): T {
  return decode(value) as T;
}

function decode(value: unknown): unknown {
  if (isBoxed(value)) return Buffer.from(value.$b64, 'base64');
  if (Array.isArray(value)) return value.map(decode);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = decode(v);
    return out;
  }
  return value;
}
