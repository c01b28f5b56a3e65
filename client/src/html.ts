// A small HTML tokenizer that only tracks where it is: in text, inside a
// start tag, in an attribute value, in a comment, or in the raw text of
// script/style/textarea/title. The view feeds it the HTML it generates so
// that it knows, for every value of the tree, how the value can be reached
// in the DOM (a run of nodes, an element's attributes, an element's text).
// It follows the HTML standard's tokenizer states closely enough for the
// output of html/template; it does not build a tree.

export const DATA = 0;
const TAG_OPEN = 1;
const END_OPEN = 2;
const TAG_NAME = 3;
const BEFORE_ATTR = 4; // the first of the states inside a start tag
const ATTR_NAME = 5;
const AFTER_NAME = 6;
const BEFORE_VALUE = 7;
const VALUE_DQ = 8;
const VALUE_SQ = 9;
const VALUE_UNQ = 10;
const AFTER_VALUE = 11;
const SELF_CLOSE = 12; // the last of the states inside a start tag
const END_TAG = 13;
const BANG = 14;
const BANG_DASH = 15;
const COMMENT = 16;
const BOGUS = 17;
export const RAW = 18;

/** Events: a start tag's "<", the end of its name, its ">", and the "<" and end of a raw text element's end tag. */
export const EV_OPEN = 0;
export const EV_NAME = 1;
export const EV_CLOSE = 2;
export const EV_RAW_LT = 3;
export const EV_RAW_END = 4;

/** Whether state s is inside a start tag, after its name. */
export function inTag(s: number): boolean {
  return s >= BEFORE_ATTR && s <= SELF_CLOSE;
}

// Elements whose content is text up to their end tag (RAWTEXT, RCDATA and
// script data in the standard).
const RAW_TAGS = /^(script|style|textarea|title|xmp|iframe|noembed|noframes|noscript)$/;

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 12 || c === 13;
}

function isAlpha(c: number): boolean {
  return (c | 32) >= 97 && (c | 32) <= 122;
}

/** The tokenizer state, fed one chunk of HTML at a time; ev reports events at an index of the current chunk. */
export abstract class Scanner {
  s = DATA;
  /** The current (or last) start tag's name, lower case. */
  name = "";
  private raw_ = ""; // in RAW: "/" and the name of the element whose end tag ends it
  private m = 0; // in RAW: characters of "<" + raw matched
  private dash_ = 0; // in COMMENT: dashes just seen

  protected abstract ev(kind: number, i: number): void;

  scan(t: string): void {
    for (let i = 0; i < t.length; i++) {
      const c = t.charCodeAt(i);
      switch (this.s) {
        case DATA:
          if (c === 60) this.s = TAG_OPEN;
          break;
        case TAG_OPEN:
          if (isAlpha(c)) {
            this.s = TAG_NAME;
            this.name = String.fromCharCode(c | 32);
            this.ev(EV_OPEN, i - 1);
          } else if (c === 47) this.s = END_OPEN;
          else if (c === 33) this.s = BANG;
          else if (c === 63) this.s = BOGUS;
          else {
            this.s = DATA;
            i--;
          }
          break;
        case END_OPEN:
          this.s = isAlpha(c) ? END_TAG : c === 62 ? DATA : BOGUS;
          break;
        case TAG_NAME:
          if (isSpace(c) || c === 47 || c === 62) {
            this.ev(EV_NAME, i);
            this.s = BEFORE_ATTR;
            i--;
          } else this.name += String.fromCharCode(c >= 65 && c <= 90 ? c | 32 : c);
          break;
        case BEFORE_ATTR:
        case AFTER_NAME:
          if (c === 47) this.s = SELF_CLOSE;
          else if (c === 62) this.close_(i);
          else if (c === 61 && this.s === AFTER_NAME) this.s = BEFORE_VALUE;
          else if (!isSpace(c)) this.s = ATTR_NAME;
          break;
        case ATTR_NAME:
          if (isSpace(c)) this.s = AFTER_NAME;
          else if (c === 47) this.s = SELF_CLOSE;
          else if (c === 61) this.s = BEFORE_VALUE;
          else if (c === 62) this.close_(i);
          break;
        case BEFORE_VALUE:
          if (c === 34) this.s = VALUE_DQ;
          else if (c === 39) this.s = VALUE_SQ;
          else if (c === 62) this.close_(i);
          else if (!isSpace(c)) this.s = VALUE_UNQ;
          break;
        case VALUE_DQ:
          if (c === 34) this.s = AFTER_VALUE;
          break;
        case VALUE_SQ:
          if (c === 39) this.s = AFTER_VALUE;
          break;
        case VALUE_UNQ:
          if (isSpace(c)) this.s = BEFORE_ATTR;
          else if (c === 62) this.close_(i);
          break;
        case AFTER_VALUE:
        case SELF_CLOSE:
          if (c === 62) this.close_(i);
          else if (c === 47 && this.s === AFTER_VALUE) this.s = SELF_CLOSE;
          else {
            this.s = BEFORE_ATTR;
            if (!isSpace(c)) i--;
          }
          break;
        case END_TAG:
        case BOGUS:
          if (c === 62) this.s = DATA;
          break;
        case BANG:
        case BANG_DASH:
          if (c === 45) {
            this.s = this.s === BANG ? BANG_DASH : COMMENT;
            this.dash_ = 2; // so that <!--> and <!---> end at once, as in the standard
          } else {
            this.s = BOGUS;
            i--;
          }
          break;
        case COMMENT:
          if (c === 62 && this.dash_ >= 2) this.s = DATA;
          else this.dash_ = c === 45 ? this.dash_ + 1 : 0;
          break;
        case RAW:
          this.rawChar_(c, i);
      }
    }
  }

  /** A start tag ends at i (its ">"): raw text elements go on in RAW. */
  private close_(i: number): void {
    this.ev(EV_CLOSE, i + 1);
    this.s = DATA;
    if (RAW_TAGS.test(this.name)) {
      this.s = RAW;
      this.raw_ = "/" + this.name;
      this.m = 0;
    }
  }

  /** Looks for "</name" followed by a space, "/" or ">". */
  private rawChar_(c: number, i: number): void {
    const want = this.raw_;
    if (this.m > want.length) {
      if (isSpace(c) || c === 47 || c === 62) {
        this.ev(EV_RAW_END, i);
        this.s = c === 62 ? DATA : END_TAG;
        return;
      }
      this.m = 0;
    }
    if (this.m > 0 && (c | (this.m > 1 ? 32 : 0)) === want.charCodeAt(this.m - 1)) this.m++;
    else if (c === 60) {
      this.m = 1;
      this.ev(EV_RAW_LT, i);
    } else this.m = 0;
  }
}
