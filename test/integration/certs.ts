/**
 * Test certificates made at test time with node:crypto alone (no openssl
 * binary, no package): a P-256 key pair and a minimal X.509 v3 certificate,
 * DER-encoded by hand and signed with ECDSA-SHA256. Enough for a CA, a
 * server certificate for localhost/127.0.0.1/::1 and a client certificate.
 */
import { createPrivateKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";

export interface Issued {
  /** PEM certificate. */
  cert: string;
  /** PEM PKCS#8 private key. */
  key: string;
  /** For signing further certificates. */
  subject: string;
  privateKey: KeyObject;
}

// ---- DER ---------------------------------------------------------------------

function tlv(tag: number, body: Buffer): Buffer {
  const n = body.length;
  let len: Buffer;
  if (n < 0x80) len = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
    len = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), len, body]);
}
const seq = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => tlv(0x31, Buffer.concat(items));
const explicit = (n: number, inner: Buffer) => tlv(0xa0 + n, inner);
const octets = (b: Buffer) => tlv(0x04, b);
const bits = (b: Buffer) => tlv(0x03, Buffer.concat([Buffer.from([0]), b]));
const bool = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0]));
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, "utf8"));

function integer(b: Buffer): Buffer {
  let body = b;
  while (body.length > 1 && body[0] === 0 && body[1]! < 0x80) body = body.subarray(1);
  if (body[0]! >= 0x80) body = Buffer.concat([Buffer.from([0]), body]);
  return tlv(0x02, body);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split(".").map(Number);
  const out = [40 * parts[0]! + parts[1]!];
  for (const p of parts.slice(2)) {
    const stack = [p & 0x7f];
    for (let v = p >> 7; v > 0; v >>= 7) stack.unshift(0x80 | (v & 0x7f));
    out.push(...stack);
  }
  return tlv(0x06, Buffer.from(out));
}

function utcTime(d: Date): Buffer {
  const p = (n: number) => String(n).padStart(2, "0");
  const s = `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  return tlv(0x17, Buffer.from(s, "ascii"));
}

const name = (cn: string) => seq(set(seq(oid("2.5.4.3"), utf8(cn))));
const ECDSA_SHA256 = seq(oid("1.2.840.10045.4.3.2"));

function ipBytes(ip: string): Buffer {
  if (ip.includes(":")) {
    // Only the forms used here: "::1".
    const b = Buffer.alloc(16);
    if (ip === "::1") b[15] = 1;
    return b;
  }
  return Buffer.from(ip.split(".").map(Number));
}

// ---- certificates --------------------------------------------------------------

export interface CertOptions {
  cn: string;
  /** Sign with this issuer; self-signed when absent. */
  issuer?: Issued;
  ca?: boolean;
  dns?: string[];
  ips?: string[];
}

export function issue(opts: CertOptions): Issued {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const spki = publicKey.export({ type: "spki", format: "der" });
  const now = Date.now();
  const extensions: Buffer[] = [seq(oid("2.5.29.19"), bool(true), octets(opts.ca ? seq(bool(true)) : seq()))];
  const altNames = [
    ...(opts.dns ?? []).map((d) => tlv(0x82, Buffer.from(d, "ascii"))),
    ...(opts.ips ?? []).map((ip) => tlv(0x87, ipBytes(ip))),
  ];
  if (altNames.length > 0) extensions.push(seq(oid("2.5.29.17"), octets(seq(...altNames))));
  if (opts.ca) extensions.push(seq(oid("2.5.29.15"), bool(true), octets(bits(Buffer.from([0x06]))))); // keyCertSign, cRLSign
  const serial = randomBytes(12);
  serial[0]! &= 0x7f;
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    ECDSA_SHA256,
    name(opts.issuer?.subject ?? opts.cn),
    seq(utcTime(new Date(now - 3600_000)), utcTime(new Date(now + 24 * 3600_000))),
    name(opts.cn),
    spki,
    explicit(3, seq(...extensions)),
  );
  const signer = opts.issuer?.privateKey ?? privateKey;
  const signature = sign("sha256", tbs, signer);
  const der = seq(tbs, ECDSA_SHA256, bits(signature));
  const pem = `-----BEGIN CERTIFICATE-----\n${der
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")
    .replace(/\n?$/, "\n")}-----END CERTIFICATE-----\n`;
  const key = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  return { cert: pem, key, subject: opts.cn, privateKey: createPrivateKey(key) };
}

/** A CA, a server certificate it signed for the loopback names, and a client certificate it signed. */
export function testPki(): { ca: Issued; server: Issued; client: Issued } {
  const ca = issue({ cn: "Parzen Test CA", ca: true });
  const server = issue({ cn: "localhost", issuer: ca, dns: ["localhost"], ips: ["127.0.0.1", "::1"] });
  const client = issue({ cn: "worker-1", issuer: ca });
  return { ca, server, client };
}
