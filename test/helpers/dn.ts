/**
 * Compares distinguished names printed by different tools: ours (Go order), jarsigner ("CN=a, O=b"),
 * openssl/osslsigncode ("/C=US/O=b/CN=a") and Python's RFC 4514 order. Order is dropped; attribute
 * names are folded to one spelling.
 */
const ALIASES: Record<string, string> = {
  S: 'ST',
  POSTALCODE: 'POSTALCODE',
  'POSTAL CODE': 'POSTALCODE',
  E: 'EMAIL',
  EMAILADDRESS: 'EMAIL',
  '1.2.840.113549.1.9.1': 'EMAIL',
  SERIALNUMBER: 'SERIALNUMBER',
  STREET: 'STREET',
};

export function dnSet(dn: string): string[] {
  const text = dn.trim();
  const parts = text.startsWith('/') ? splitUnescaped(text.slice(1), '/') : splitUnescaped(text, ',');
  return parts
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => {
      const eq = p.indexOf('=');
      const rawType = p.slice(0, eq).trim().toUpperCase();
      const type = ALIASES[rawType] ?? rawType;
      const raw = p.slice(eq + 1).trim();
      const value = raw.startsWith('#') ? decodeHexString(raw.slice(1)) : raw.replace(/\\(.)/g, '$1');
      return `${type}=${value}`;
    })
    .sort();
}

export function sameDn(a: string, b: string): boolean {
  return JSON.stringify(dnSet(a)) === JSON.stringify(dnSet(b));
}

function splitUnescaped(text: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      cur += c + text[i + 1];
      i++;
    } else if (c === sep) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** Go prints attributes it has no name for as `oid=#<DER hex>`; decode the simple string types. */
function decodeHexString(hexText: string): string {
  const der = Buffer.from(hexText, 'hex');
  const tag = der[0];
  const len = der[1] ?? 0;
  if (len < 0x80 && tag !== undefined && [0x0c, 0x13, 0x14, 0x16].includes(tag)) {
    return der.subarray(2, 2 + len).toString(tag === 0x0c ? 'utf8' : 'latin1');
  }
  return `#${hexText}`;
}
