/** Longest preview returned, in UTF-16 code units (what `String.length` counts). */
export const PREVIEW_MAX_CHARS = 1000;

/** Elements whose content is not text a reader sees. */
const HIDDEN_ELEMENTS = new Set(['script', 'style', 'noscript', 'template', 'svg', 'iframe', 'object']);
const TAG_NAME = /^<\/?([a-z][a-z0-9-]*)/i;
const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
};
const ENTITY = /&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,8});/gi;
// eslint-disable-next-line no-control-regex -- removing control characters is the point
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;

function decodeEntity(match: string, body: string): string {
  if (body.startsWith('#')) {
    const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
    const valid = code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff);
    return valid ? String.fromCodePoint(code) : '\ufffd';
  }
  return NAMED_ENTITIES[body.toLowerCase()] ?? match;
}

/**
 * The visible text of an HTML document: tags, comments and the content of script, style and similar
 * elements removed, common entities decoded, whitespace collapsed. A single forward scan (every
 * search starts where the previous one ended), so hostile markup cannot make it slow; unterminated
 * markup ends the text.
 */
export function htmlToText(html: string): string {
  const parts: string[] = [];
  let i = 0;
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    parts.push(html.slice(i, lt === -1 ? html.length : lt));
    if (lt === -1) break;
    if (html.startsWith('<!--', lt)) {
      const close = html.indexOf('-->', lt + 4);
      if (close === -1) break;
      i = close + 3;
      parts.push(' ');
      continue;
    }
    const gt = html.indexOf('>', lt + 1);
    if (gt === -1) break;
    i = gt + 1;
    parts.push(' ');
    const name = TAG_NAME.exec(html.slice(lt, Math.min(gt + 1, lt + 64)))?.[1]?.toLowerCase();
    // As browsers do, `<script />` still opens a script; only foreign `<svg/>` closes itself.
    const selfClosing = name === 'svg' && html[gt - 1] === '/';
    if (name !== undefined && html[lt + 1] !== '/' && HIDDEN_ELEMENTS.has(name) && !selfClosing) {
      const closer = new RegExp(`</${name}`, 'gi');
      closer.lastIndex = i;
      const found = closer.exec(html);
      if (!found) break;
      const closeGt = html.indexOf('>', found.index);
      if (closeGt === -1) break;
      i = closeGt + 1;
    }
  }
  return parts.join('').replace(ENTITY, decodeEntity).replace(CONTROL, ' ').replace(/\s+/g, ' ').trim();
}

/** At most {@link PREVIEW_MAX_CHARS} code units, never ending in half a surrogate pair. */
export function capPreview(text: string, max = PREVIEW_MAX_CHARS): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}
