/**
 * Just enough DER (ITU-T X.690) to write an X.509 certificate and to find two things inside
 * one: its subject name and its subject key identifier. Single-byte tags only, which is all
 * X.509 uses. Encoders return whole TLVs as Buffers so callers nest them like the ASN.1 reads.
 */

/** The tag bytes used by certificates. */
export const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  oid: 0x06,
  utf8String: 0x0c,
  ia5String: 0x16,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
} as const;

/** A tag byte for a context-specific [n]: constructed for EXPLICIT wrappers, primitive for IMPLICIT ones. */
export function contextTag(n: number, constructed: boolean): number {
  return 0x80 | (constructed ? 0x20 : 0) | n;
}

/** One TLV: the definite length in short form below 128, else 0x80|count then big-endian bytes. */
export function tlv(tag: number, content: Uint8Array): Buffer {
  const length = content.length;
  let header: number[];
  if (length < 0x80) header = [tag, length];
  else {
    const bytes: number[] = [];
    for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
    header = [tag, 0x80 | bytes.length, ...bytes];
  }
  return Buffer.concat([Buffer.from(header), content]);
}

export function sequence(...items: Uint8Array[]): Buffer {
  return tlv(TAG.sequence, Buffer.concat(items));
}

/** A SET OF with one member, the only kind a certificate name here needs (so no DER sorting). */
export function set(item: Uint8Array): Buffer {
  return tlv(TAG.set, item);
}

export function boolean(value: boolean): Buffer {
  return tlv(TAG.boolean, Buffer.from([value ? 0xff : 0x00]));
}

/**
 * A non-negative INTEGER from big-endian bytes: redundant leading zeros dropped (DER wants the
 * shortest form), and one zero put back when the high bit is set, or the value would read negative.
 */
export function unsignedInteger(bytes: Uint8Array): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  const first = trimmed[0] ?? 0;
  const content =
    trimmed.length === 0 ? Buffer.from([0]) : first & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed;
  return tlv(TAG.integer, content);
}

export function smallInteger(value: number): Buffer {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff)
    throw new RangeError(`DER integer ${value} out of range`);
  return unsignedInteger(Buffer.from([value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff]));
}

/** An OBJECT IDENTIFIER from dotted text: the first two arcs share a byte, the rest are base-128 with continuation bits. */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split(".").map(Number);
  const [first, second, ...rest] = arcs;
  if (first === undefined || second === undefined || arcs.some((arc) => !Number.isSafeInteger(arc) || arc < 0)) {
    throw new TypeError(`bad object identifier ${JSON.stringify(dotted)}`);
  }
  const bytes: number[] = [];
  for (const arc of [first * 40 + second, ...rest]) {
    const group = [arc % 128];
    for (let value = Math.floor(arc / 128); value > 0; value = Math.floor(value / 128))
      group.unshift(0x80 | (value % 128));
    bytes.push(...group);
  }
  return tlv(TAG.oid, Buffer.from(bytes));
}

/** A BIT STRING of whole bytes (keys, signatures): zero unused bits. */
export function bitString(bytes: Uint8Array): Buffer {
  return tlv(TAG.bitString, Buffer.concat([Buffer.from([0]), bytes]));
}

/**
 * A named-bit BIT STRING such as keyUsage, bit 0 being the most significant bit of the first
 * byte. DER drops trailing zero bits, so the length and the unused-bit count follow the highest bit set.
 */
export function namedBits(bits: readonly number[]): Buffer {
  if (bits.length === 0) return tlv(TAG.bitString, Buffer.from([0]));
  const highest = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1);
  for (const bit of bits) bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) | (0x80 >> (bit & 7));
  return tlv(TAG.bitString, Buffer.concat([Buffer.from([7 - (highest & 7)]), bytes]));
}

export function octetString(bytes: Uint8Array): Buffer {
  return tlv(TAG.octetString, bytes);
}

export function utf8String(text: string): Buffer {
  return tlv(TAG.utf8String, Buffer.from(text, "utf8"));
}

/**
 * A certificate time as RFC 5280 wants it: UTCTime (two-digit year) for 1950 to 2049,
 * GeneralizedTime after, both in UTC with whole seconds and a "Z".
 */
export function time(date: Date): Buffer {
  const year = date.getUTCFullYear();
  if (year < 1950 || year > 9999) throw new RangeError(`certificate date ${date.toISOString()} is outside 1950..9999`);
  const two = (n: number) => String(n).padStart(2, "0");
  const rest = `${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}${two(date.getUTCHours())}${two(date.getUTCMinutes())}${two(date.getUTCSeconds())}Z`;
  if (year < 2050) return tlv(TAG.utcTime, Buffer.from(`${two(year % 100)}${rest}`, "ascii"));
  return tlv(TAG.generalizedTime, Buffer.from(`${year}${rest}`, "ascii"));
}

/** Where one TLV sits in a buffer: its tag, its content [start, end), and its whole span [offset, end). */
export interface Element {
  tag: number;
  offset: number;
  start: number;
  end: number;
}

/** Reads the TLV at `offset`, checking it lies inside `limit`; throws on anything malformed. */
export function read(buffer: Uint8Array, offset: number, limit = buffer.length): Element {
  const tag = buffer[offset];
  const first = buffer[offset + 1];
  if (tag === undefined || first === undefined || offset + 2 > limit) throw new TypeError("DER: truncated header");
  if ((tag & 0x1f) === 0x1f) throw new TypeError("DER: multi-byte tags are not supported");
  let start = offset + 2;
  let length = first;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4) throw new TypeError("DER: unsupported length form");
    length = 0;
    for (let i = 0; i < count; i++) {
      const byte = buffer[start + i];
      if (byte === undefined) throw new TypeError("DER: truncated length");
      length = length * 256 + byte;
    }
    start += count;
  }
  const end = start + length;
  if (end > limit) throw new TypeError("DER: element runs past its container");
  return { tag, offset, start, end };
}

/** The elements directly inside a constructed element. */
export function children(buffer: Uint8Array, parent: Element): Element[] {
  const out: Element[] = [];
  for (let offset = parent.start; offset < parent.end; ) {
    const element = read(buffer, offset, parent.end);
    out.push(element);
    offset = element.end;
  }
  return out;
}
