/**
 * One CSV line into its fields (RFC 4180 quoting: a quoted field may hold the delimiter, and `""` is a
 * quote inside it). Lines are split before this, so a quoted field cannot span lines: host-operator
 * exports do not break records across lines, and a file that does is reported line by line.
 */

/** The fields of a line, or a reason when its quoting is broken. */
export function splitCsvLine(text: string, delimiter: string, quote: string | null): string[] | { error: string } {
  if (quote === null || !text.includes(quote)) return text.split(delimiter);
  const fields: string[] = [];
  let i = 0;
  const n = text.length;
  for (;;) {
    if (i < n && text[i] === quote) {
      let value = '';
      i++;
      for (;;) {
        const next = text.indexOf(quote, i);
        if (next < 0) return { error: 'a quoted field is not closed' };
        value += text.slice(i, next);
        if (text[next + 1] === quote) {
          value += quote;
          i = next + 2;
          continue;
        }
        i = next + 1;
        break;
      }
      fields.push(value);
      if (i === n) return fields;
      if (text[i] !== delimiter) return { error: 'a closing quote is not followed by the delimiter' };
      i++;
    } else {
      const next = text.indexOf(delimiter, i);
      if (next < 0) {
        fields.push(text.slice(i));
        return fields;
      }
      fields.push(text.slice(i, next));
      i = next + 1;
    }
  }
}
