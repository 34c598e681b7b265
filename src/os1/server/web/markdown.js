// Markdown in the companion's replies, built as DOM nodes: the model's text only ever becomes
// text nodes, never HTML, so a reply can't inject markup or script.
//
// Paragraphs, "-"/"*" and "1." lists, ``` code blocks, `code`, **bold**, *italic*/_italic_
// and [links](https://…) (http, https and mailto only; they open apart, with rel=noopener).

import { h } from "./ui.js";

const INLINE = /(`[^`\n]+`)|(\*\*[^*\n]+\*\*|__[^_\n]+__)|(\*[^*\s][^*\n]*\*|\b_[^_\s][^_\n]*_\b)|(\[[^\]\n]+\]\([^)\s]+\))/g;

function safeHref(href) {
  try {
    const url = new URL(href, location.href);
    return ["http:", "https:", "mailto:"].includes(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

/** Inline marks of one line or paragraph, as nodes. */
export function inline(text) {
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(INLINE)) {
    if (match.index > last) nodes.push(document.createTextNode(text.slice(last, match.index)));
    const [whole, code, bold, italic, link] = match;
    if (code) nodes.push(h("code", {}, code.slice(1, -1)));
    else if (bold) nodes.push(h("strong", {}, ...inline(bold.slice(2, -2))));
    else if (italic) nodes.push(h("em", {}, ...inline(italic.slice(1, -1))));
    else if (link) {
      const [, label, href] = /^\[([^\]]+)\]\(([^)]+)\)$/.exec(link);
      const safe = safeHref(href);
      nodes.push(safe ? h("a", { href: safe, target: "_blank", rel: "noopener noreferrer" }, ...inline(label)) : document.createTextNode(whole));
    }
    last = match.index + whole.length;
  }
  if (last < text.length) nodes.push(document.createTextNode(text.slice(last)));
  return nodes;
}

const BULLET = /^\s*[-*+]\s+(.*)$/;
const NUMBERED = /^\s*\d+[.)]\s+(.*)$/;

/** A reply as block nodes: paragraphs, lists and code blocks. */
export function renderMarkdown(text) {
  const blocks = [];
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  let paragraph = [];
  let list = null; // {tag, items}
  const flushParagraph = () => {
    if (paragraph.length) blocks.push(h("p", {}, ...inline(paragraph.join("\n"))));
    paragraph = [];
  };
  const flushList = () => {
    if (list) blocks.push(h(list.tag, {}, list.items.map((item) => h("li", {}, ...inline(item)))));
    list = null;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^\s*```/.test(line)) {
      flushParagraph();
      flushList();
      const code = [];
      for (i += 1; i < lines.length && !/^\s*```/.test(lines[i]); i++) code.push(lines[i]);
      blocks.push(h("pre", { class: "code" }, h("code", {}, code.join("\n"))));
      continue;
    }
    const bullet = BULLET.exec(line);
    const numbered = bullet ? null : NUMBERED.exec(line);
    if (bullet || numbered) {
      flushParagraph();
      const tag = bullet ? "ul" : "ol";
      if (list && list.tag !== tag) flushList();
      if (!list) list = { tag, items: [] };
      list.items.push((bullet || numbered)[1]);
      continue;
    }
    if (!line.trim()) {
      flushParagraph();
      flushList();
      continue;
    }
    const heading = /^\s*#{1,6}\s+(.*)$/.exec(line);
    if (heading) {
      flushParagraph();
      flushList();
      blocks.push(h("p", { class: "heading" }, h("strong", {}, ...inline(heading[1]))));
      continue;
    }
    flushList();
    paragraph.push(line);
  }
  flushParagraph();
  flushList();
  return blocks;
}
