import type { HistoryEntry, Member, SessionCounts, Verdict } from '../server/protocol.js';
import { byId, element } from './dom.js';
import { icon } from './icons.js';

/** Verdicts shown in the timeline, newest last. */
export const TIMELINE_LENGTH = 60;

const VERDICT_TEXT: Readonly<Record<Verdict, string>> = {
  cat: 'Cat',
  dog: 'Dog',
  'cat-and-dog': 'Cat + dog',
  neither: 'No pet',
};

export function verdictText(verdict: Verdict): string {
  return VERDICT_TEXT[verdict];
}

export type ConnectionState = 'connecting' | 'online' | 'offline';

export function showConnection(state: ConnectionState, text: string): void {
  const pill = byId('connection', HTMLSpanElement);
  pill.className = `pill ${state === 'online' ? 'pill-online' : state === 'offline' ? 'pill-offline' : 'pill-pending'}`;
  pill.textContent = text;
}

/** Shows a message across the page, optionally with a link, or hides it for null. */
export function showBanner(message: string | null, link?: { href: string; text: string }): void {
  const banner = byId('banner', HTMLDivElement);
  banner.hidden = message === null;
  banner.replaceChildren();
  if (message === null) return;

  banner.append(message);
  if (link !== undefined) {
    const anchor = element('a', '', link.text);
    anchor.href = link.href;
    banner.append(' ', anchor);
  }
}

let shownVerdict: Verdict | null = null;

/** Updates the badge. Its text, which screen readers announce, changes only when the verdict does. */
export function showVerdict(verdict: Verdict | null, confidence: number): void {
  const badge = byId('verdict', HTMLDivElement);
  badge.hidden = verdict === null;
  badge.className = `verdict verdict-${verdict ?? 'none'}`;
  byId('verdict-confidence', HTMLSpanElement).textContent = verdict === null || verdict === 'neither' ? '' : `${Math.round(confidence * 100)}%`;

  if (verdict !== shownVerdict) {
    byId('verdict-label', HTMLSpanElement).textContent = verdict === null ? '—' : verdictText(verdict);
    shownVerdict = verdict;
  }
}

export function showCounts(counts: SessionCounts): void {
  byId('count-cats', HTMLElement).textContent = String(counts.cats);
  byId('count-dogs', HTMLElement).textContent = String(counts.dogs);
  byId('count-frames', HTMLElement).textContent = String(counts.frames);
}

export function showMeters(framesPerSecond: number | null, latencyMs: number | null): void {
  byId('fps', HTMLElement).textContent = framesPerSecond === null ? '–' : framesPerSecond.toFixed(1);
  byId('latency', HTMLElement).textContent = latencyMs === null ? '–' : `${Math.round(latencyMs)} ms`;
}

function timelineItem(entry: HistoryEntry): HTMLLIElement {
  const item = element('li', `verdict-${entry.verdict}`);
  const time = new Date(entry.time).toLocaleTimeString();
  item.title = `${verdictText(entry.verdict)} ${Math.round(entry.confidence * 100)}% at ${time}`;
  // The bar is only colour, so screen readers get the same text as the tooltip.
  item.append(element('span', 'visually-hidden', item.title));
  // Bar height shows confidence, so uncertain frames stand out.
  item.style.height = `${Math.round(15 + entry.confidence * 85)}%`;
  return item;
}

export function showTimeline(entries: readonly HistoryEntry[]): void {
  byId('timeline', HTMLOListElement).replaceChildren(...entries.slice(-TIMELINE_LENGTH).map(timelineItem));
}

export function appendTimeline(entry: HistoryEntry): void {
  const list = byId('timeline', HTMLOListElement);
  list.append(timelineItem(entry));
  while (list.childElementCount > TIMELINE_LENGTH) list.firstElementChild?.remove();
}

/** Renders the presence list. `lastVerdicts` maps camera ids to their latest verdict. */
export function showPeople(members: readonly Member[], selfId: string | undefined, lastVerdicts: ReadonlyMap<string, Verdict>): void {
  const items = members.map((member) => {
    const item = element('li', `person person-${member.role}`);
    item.append(icon(member.role === 'camera' ? 'camera' : 'eye', 'icon person-icon'));
    item.append(element('span', 'person-name', member.name));

    const tags = [member.role === 'camera' ? 'camera' : 'viewer'];
    const verdict = lastVerdicts.get(member.id);
    if (member.role === 'camera' && verdict !== undefined) tags.push(verdictText(verdict).toLowerCase());
    if (member.id === selfId) tags.push('you');
    item.append(element('span', 'person-tag', tags.join(' · ')));
    return item;
  });

  byId('people', HTMLUListElement).replaceChildren(...items);
  byId('people-title', HTMLHeadingElement).textContent = `In this session (${members.length})`;
}
