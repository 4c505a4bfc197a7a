/**
 * JSON.parse keeps the last of duplicate keys silently, and another implementation may keep the first:
 * two readers would then disagree on, say, `alg`. A small scan over text JSON.parse already accepted
 * finds them; hand-written because no JSON parser in our dependencies reports duplicates.
 */
export function duplicateJsonKeys(text: string): string[] {
  const stack: Array<{ keys: Set<string> | undefined; expectKey: boolean }> = [];
  const dups: string[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const top = stack[stack.length - 1];
    if (c === '{') stack.push({ keys: new Set(), expectKey: true });
    else if (c === '[') stack.push({ keys: undefined, expectKey: false });
    else if (c === '}' || c === ']') stack.pop();
    else if (c === ',' && top?.keys) top.expectKey = true;
    else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (top?.keys && top.expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.keys.has(key)) dups.push(key);
        top.keys.add(key);
        top.expectKey = false;
      }
      i = j;
    }
  }
  return dups;
}
