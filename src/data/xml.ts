/**
 * A small XML parser for simple, trusted data files such as PASCAL VOC annotations: elements,
 * attributes, text, the five predefined entities and numeric character references, comments,
 * CDATA, processing instructions and a DOCTYPE (skipped). No namespaces, no DTD entities.
 */
import { DataFormatError } from './errors';

/** One element. `text` is the element's own text (children's text excluded), trimmed. */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(s: string, fail: (msg: string) => never): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (m, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return String.fromCodePoint(code);
    }
    const v = ENTITIES[e];
    if (v === undefined) fail(`unknown entity ${m}`);
    return v;
  });
}

/** Parses `src` and returns its root element. Errors name `file` and the line. */
export function parseXml(src: string, file: string): XmlElement {
  let pos = 0;
  const lineAt = (p: number): number => src.slice(0, p).split('\n').length;
  const fail = (msg: string, at = pos): never => {
    throw new DataFormatError(file, `malformed XML at line ${lineAt(at)}: ${msg}.`);
  };
  const stack: XmlElement[] = [];
  const texts: string[][] = [];
  let root: XmlElement | undefined;
  const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
  const readName = (): string => {
    NAME.lastIndex = pos;
    const m = NAME.exec(src);
    if (!m) fail(`expected a name, found ${JSON.stringify(src.slice(pos, pos + 10))}`);
    pos = NAME.lastIndex;
    return (m as RegExpExecArray)[0];
  };
  const skipSpace = (): void => {
    while (pos < src.length && /\s/.test(src[pos])) pos++;
  };
  const skipPast = (end: string, what: string): void => {
    const i = src.indexOf(end, pos);
    if (i < 0) fail(`unterminated ${what}`);
    pos = i + end.length;
  };

  while (pos < src.length) {
    const lt = src.indexOf('<', pos);
    const textEnd = lt < 0 ? src.length : lt;
    if (textEnd > pos) {
      const t = src.slice(pos, textEnd);
      if (stack.length > 0) texts[texts.length - 1].push(decodeEntities(t, fail));
      else if (t.trim() !== '') fail('text outside the root element');
    }
    if (lt < 0) break;
    pos = lt;
    if (src.startsWith('<!--', pos)) skipPast('-->', 'comment');
    else if (src.startsWith('<![CDATA[', pos)) {
      const i = src.indexOf(']]>', pos);
      if (i < 0) fail('unterminated CDATA section');
      if (stack.length === 0) fail('CDATA outside the root element');
      texts[texts.length - 1].push(src.slice(pos + 9, i));
      pos = i + 3;
    } else if (src.startsWith('<?', pos)) skipPast('?>', 'processing instruction');
    else if (src.startsWith('<!', pos)) skipPast('>', 'declaration');
    else if (src.startsWith('</', pos)) {
      const at = pos;
      pos += 2;
      const name = readName();
      skipSpace();
      if (src[pos] !== '>') fail(`expected '>' to close </${name}`);
      pos++;
      const open = stack.pop();
      if (!open) fail(`closing tag </${name}> without an opening tag`, at);
      if ((open as XmlElement).name !== name) fail(`closing tag </${name}> does not match <${(open as XmlElement).name}>`, at);
      (open as XmlElement).text = (texts.pop() as string[]).join('').trim();
    } else {
      pos++;
      const el: XmlElement = { name: readName(), attributes: {}, children: [], text: '' };
      for (;;) {
        skipSpace();
        if (src.startsWith('/>', pos) || src[pos] === '>') break;
        if (pos >= src.length) fail(`unterminated tag <${el.name}`);
        const attr = readName();
        skipSpace();
        if (src[pos] !== '=') fail(`expected '=' after attribute ${attr}`);
        pos++;
        skipSpace();
        const q = src[pos];
        if (q !== '"' && q !== "'") fail(`attribute ${attr} value must be quoted`);
        const end = src.indexOf(q, pos + 1);
        if (end < 0) fail(`unterminated value of attribute ${attr}`);
        el.attributes[attr] = decodeEntities(src.slice(pos + 1, end), fail);
        pos = end + 1;
      }
      const selfClosing = src[pos] === '/';
      pos += selfClosing ? 2 : 1;
      if (stack.length > 0) stack[stack.length - 1].children.push(el);
      else if (root) fail(`a second root element <${el.name}>`);
      else root = el;
      if (!selfClosing) {
        stack.push(el);
        texts.push([]);
      }
    }
  }
  if (stack.length > 0) fail(`<${stack[stack.length - 1].name}> is never closed (the file may be truncated)`);
  if (!root) fail('no root element');
  return root as XmlElement;
}

/** The first child element named `name`, or undefined. */
export function child(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.find((c) => c.name === name);
}

/** All child elements named `name`. */
export function childrenNamed(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}
