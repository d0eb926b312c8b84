/**
 * Unicode checks shared by the identity validators: characters that render as nothing or reorder
 * text, and identifiers that mix writing systems (UTS #39 "highly restrictive" level).
 */

/**
 * Characters that do not show as themselves: controls, format characters (zero-width space, joiners,
 * word joiner, byte order mark, every bidi control such as U+202E), default-ignorable code points
 * (Hangul fillers, variation selectors…), line and paragraph separators, private-use, unassigned
 * and lone surrogate code points. Any of them lets two identities look the same.
 */
export const INVISIBLE_CHARACTER = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Cs}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u;

/**
 * Unicode scripts, most often seen first. The names are ECMAScript `Script=` values; one the running
 * Node does not know yet is skipped, and its letters then count as an unknown script of their own.
 */
// One line per few names keeps 168 names readable; prettier would give each its own line.
// prettier-ignore
const SCRIPT_NAMES = [
  'Latin', 'Cyrillic', 'Greek', 'Han', 'Hiragana', 'Katakana', 'Hangul', 'Bopomofo', 'Arabic', 'Hebrew',
  'Devanagari', 'Bengali', 'Thai', 'Armenian', 'Georgian', 'Tamil', 'Telugu', 'Kannada', 'Malayalam',
  'Gujarati', 'Gurmukhi', 'Oriya', 'Sinhala', 'Khmer', 'Lao', 'Myanmar', 'Tibetan', 'Ethiopic', 'Thaana',
  'Syriac', 'Mongolian', 'Cherokee', 'Canadian_Aboriginal', 'Tifinagh', 'Nko', 'Vai', 'Yi', 'Coptic',
  'Glagolitic', 'Runic', 'Ogham', 'Adlam', 'Ahom', 'Anatolian_Hieroglyphs', 'Avestan', 'Balinese', 'Bamum',
  'Bassa_Vah', 'Batak', 'Bhaiksuki', 'Brahmi', 'Braille', 'Buginese', 'Buhid', 'Carian', 'Caucasian_Albanian',
  'Chakma', 'Cham', 'Chorasmian', 'Cuneiform', 'Cypriot', 'Cypro_Minoan', 'Deseret', 'Dives_Akuru', 'Dogra',
  'Duployan', 'Egyptian_Hieroglyphs', 'Elbasan', 'Elymaic', 'Garay', 'Gothic', 'Grantha', 'Gunjala_Gondi',
  'Gurung_Khema', 'Hanifi_Rohingya', 'Hanunoo', 'Hatran', 'Imperial_Aramaic', 'Inscriptional_Pahlavi',
  'Inscriptional_Parthian', 'Javanese', 'Kaithi', 'Kawi', 'Kayah_Li', 'Kharoshthi', 'Khitan_Small_Script',
  'Khojki', 'Khudawadi', 'Kirat_Rai', 'Lepcha', 'Limbu', 'Linear_A', 'Linear_B', 'Lisu', 'Lycian', 'Lydian',
  'Mahajani', 'Makasar', 'Mandaic', 'Manichaean', 'Marchen', 'Masaram_Gondi', 'Medefaidrin', 'Meetei_Mayek',
  'Mende_Kikakui', 'Meroitic_Cursive', 'Meroitic_Hieroglyphs', 'Miao', 'Modi', 'Mro', 'Multani', 'Nabataean',
  'Nag_Mundari', 'Nandinagari', 'New_Tai_Lue', 'Newa', 'Nushu', 'Nyiakeng_Puachue_Hmong', 'Ol_Chiki', 'Ol_Onal',
  'Old_Hungarian', 'Old_Italic', 'Old_North_Arabian', 'Old_Permic', 'Old_Persian', 'Old_Sogdian',
  'Old_South_Arabian', 'Old_Turkic', 'Old_Uyghur', 'Osage', 'Osmanya', 'Pahawh_Hmong', 'Palmyrene',
  'Pau_Cin_Hau', 'Phags_Pa', 'Phoenician', 'Psalter_Pahlavi', 'Rejang', 'Samaritan', 'Saurashtra', 'Sharada',
  'Shavian', 'Siddham', 'SignWriting', 'Sogdian', 'Sora_Sompeng', 'Soyombo', 'Sundanese', 'Sunuwar',
  'Syloti_Nagri', 'Tagalog', 'Tagbanwa', 'Tai_Le', 'Tai_Tham', 'Tai_Viet', 'Takri', 'Tangsa', 'Tangut',
  'Tirhuta', 'Todhri', 'Toto', 'Tulu_Tigalari', 'Ugaritic', 'Vithkuqi', 'Wancho', 'Warang_Citi', 'Yezidi',
  'Zanabazar_Square',
] as const;

interface Script {
  readonly name: string;
  readonly pattern: RegExp;
}

interface CompiledScripts {
  readonly scripts: readonly Script[];
  /** Characters of no particular script (digits, punctuation, combining marks) and of every known one. */
  readonly known: RegExp;
}

let compiled: CompiledScripts | undefined;

/** Compiled on first use, not at import: most apps never see a non-ASCII identity. */
function compileScripts(): CompiledScripts {
  if (compiled) return compiled;
  const scripts: Script[] = [];
  for (const name of SCRIPT_NAMES) {
    try {
      scripts.push({ name, pattern: new RegExp(`\\p{Script=${name}}`, 'u') });
    } catch {
      // A script newer than this Node's Unicode data: its letters fall into 'Unknown'.
    }
  }
  const known = new RegExp(
    `[\\p{Script=Common}\\p{Script=Inherited}${scripts.map(({ name }) => `\\p{Script=${name}}`).join('')}]`,
    'gu',
  );
  compiled = { scripts, known };
  return compiled;
}

/**
 * The scripts whose combination UTS #39 still calls "highly restrictive": Japanese, Chinese and
 * Korean writing mix Han with their own scripts and with Latin as a matter of course.
 */
const ALLOWED_MIXES: readonly ReadonlySet<string>[] = [
  new Set(['Latin', 'Han', 'Hiragana', 'Katakana']),
  new Set(['Latin', 'Han', 'Bopomofo']),
  new Set(['Latin', 'Han', 'Hangul']),
];

/** The scripts of `text`, ignoring Common and Inherited characters; 'Unknown' for any other. */
export function scriptsOf(text: string): Set<string> {
  const found = new Set<string>();
  // ASCII letters are all Latin; everything else ASCII is Common.
  if (/^[\x20-\x7e]*$/.test(text)) {
    if (/[A-Za-z]/.test(text)) found.add('Latin');
    return found;
  }
  const { scripts, known } = compileScripts();
  for (const script of scripts) if (script.pattern.test(text)) found.add(script.name);
  if (text.replace(known, '') !== '') found.add('Unknown');
  return found;
}

/**
 * Whether `text` mixes scripts in a way that makes look-alikes possible, such as a Cyrillic `а`
 * (U+0430) among Latin letters. Text in one script (`иван`, `δοκιμή`) and the Japanese, Chinese
 * and Korean mixes with Latin are fine; whole-script look-alikes (`аре` all Cyrillic) are not caught.
 */
export function isMixedScript(text: string): boolean {
  const found = scriptsOf(text);
  if (found.size <= 1) return false;
  return !ALLOWED_MIXES.some((allowed) => [...found].every((name) => allowed.has(name)));
}

/** Number of Unicode code points, so an emoji or a CJK character outside the BMP counts as one. */
export function codePointLength(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/** Applies `map` to a string, or to each string of an array (`each: true`); anything else is left for the validator to refuse. */
export function mapStrings(value: unknown, map: (text: string) => string): unknown {
  if (typeof value === 'string') return map(value);
  if (Array.isArray(value)) return value.map((item: unknown) => (typeof item === 'string' ? map(item) : item));
  return value;
}
