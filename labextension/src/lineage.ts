/**
 * The Lineage view of the panel's record details: the server's drawing of a record's
 * lineage (`GET .../records/<id>/lineage`), each box a link to its record.
 *
 * The SVG is never inserted as markup: it is parsed as XML and rebuilt element by
 * element from a short list of drawing elements and attributes (no script, no style, no
 * `href`, no `on...` handler), its text as text nodes. Whatever a record is named, it
 * reaches the page as characters.
 */
import { ILineageNode, ILineageResponse, getLineage } from './api';
import { element } from './dom';

const SVG_NS = 'http://www.w3.org/2000/svg';
/** The elements a lineage drawing is made of. */
const ELEMENTS = new Set(['svg', 'defs', 'marker', 'path', 'rect', 'text', 'g', 'title']);
/** Their attributes; everything else is dropped. */
const ATTRIBUTES = new Set([
  'width',
  'height',
  'viewBox',
  'font-family',
  'font-size',
  'font-weight',
  'class',
  'id',
  'refX',
  'refY',
  'markerWidth',
  'markerHeight',
  'orient',
  'd',
  'fill',
  'stroke',
  'stroke-width',
  'stroke-dasharray',
  'marker-end',
  'x',
  'y',
  'rx',
  'data-id'
]);

/** Only a reference to a marker of the drawing: `url(#lineage-arrow-1a2b3c4d)`. */
const MARKER_URL = /^url\(#[A-Za-z0-9_-]+\)$/;

function rebuild(source: Element): Element | null {
  const tag = source.localName;
  if (source.namespaceURI !== SVG_NS || !ELEMENTS.has(tag)) {
    return null;
  }
  const copy = document.createElementNS(SVG_NS, tag);
  for (const attribute of Array.from(source.attributes)) {
    const name = attribute.name;
    if (!ATTRIBUTES.has(name)) {
      continue;
    }
    if (name === 'marker-end' && !MARKER_URL.test(attribute.value)) {
      continue;
    }
    copy.setAttribute(name, attribute.value);
  }
  for (const child of Array.from(source.childNodes)) {
    if (child.nodeType === Node.TEXT_NODE) {
      copy.appendChild(document.createTextNode(child.textContent ?? ''));
    } else if (child.nodeType === Node.ELEMENT_NODE) {
      const kept = rebuild(child as Element);
      if (kept) {
        copy.appendChild(kept);
      }
    }
  }
  return copy;
}

/**
 * The drawing as DOM, rebuilt from the SVG text with only drawing elements and
 * attributes; null when the text is no SVG document.
 */
export function sanitizeSvg(text: string): SVGSVGElement | null {
  const parsed = new DOMParser().parseFromString(text, 'image/svg+xml');
  const root = parsed.documentElement;
  if (!root || root.localName !== 'svg' || parsed.getElementsByTagName('parsererror').length) {
    return null;
  }
  return rebuild(root) as SVGSVGElement | null;
}

/** The record whose lineage the view shows. */
export interface ILineageRecord {
  registry: string;
  id: number;
  instance: string | null;
}

/**
 * A record's lineage drawing, shown while its toggle button is on (for every record
 * picked after, until toggled off); a click on a box calls `onOpen` with its record.
 */
export class LineageView {
  constructor() {
    this.node = element('div', 'jp-lamindb-lineage');
    this._status = element('div', 'jp-lamindb-lineage-status');
    this._drawing = element('div', 'jp-lamindb-lineage-drawing');
    this.node.append(this._status, this._drawing);
    this.node.style.display = 'none';
    this.toggle = document.createElement('button');
    this.toggle.className = 'jp-lamindb-lineage-toggle jp-Button';
    this.toggle.textContent = 'Lineage';
    this.toggle.title =
      "Show the record's lineage: the runs that made it, what they read, what was made from it";
    this.toggle.setAttribute('aria-pressed', 'false');
    this.toggle.addEventListener('click', () => this.setOn(!this._on));
  }

  /** The view's element, for the details pane. */
  readonly node: HTMLDivElement;

  /** The button that shows and hides the view, for the details' title line. */
  readonly toggle: HTMLButtonElement;

  /** Show the lineage (of this and every record picked after), or hide it. */
  setOn(on: boolean): void {
    this._on = on;
    this.toggle.setAttribute('aria-pressed', String(on));
    this.toggle.classList.toggle('jp-mod-active', on);
    this.setRecord(this._record);
  }

  /** The record picked (null: none, or one without lineage); drawn while the view is on. */
  setRecord(record: ILineageRecord | null): void {
    this._record = record;
    this.clear();
    this.node.style.display = this._on && record ? '' : 'none';
    if (this._on && record) {
      void this.show(record.registry, record.id, record.instance);
    }
  }

  /** Called with a node's registry and record id when its box is clicked. */
  onOpen: ((registry: string, id: number) => void) | null = null;

  /** The graph shown, or null. */
  get data(): ILineageResponse | null {
    return this._data;
  }

  /** Fetch and draw the lineage of a record. */
  async show(registry: string, id: number, instance: string | null): Promise<void> {
    const ticket = ++this._ticket;
    this._status.textContent = 'Loading the lineage…';
    let data: ILineageResponse;
    try {
      data = await getLineage(registry, id, instance);
    } catch (error) {
      if (ticket === this._ticket) {
        this._data = null;
        this._drawing.replaceChildren();
        this._status.textContent =
          error && typeof error === 'object' && 'message' in error
            ? String((error as { message: unknown }).message)
            : String(error);
      }
      return;
    }
    if (ticket !== this._ticket) {
      return; // another record was picked meanwhile
    }
    this._render(data);
  }

  /** Show nothing (another record is being picked, or the view is off). */
  clear(): void {
    ++this._ticket;
    this._data = null;
    this._status.textContent = '';
    this._drawing.replaceChildren();
  }

  private _render(data: ILineageResponse): void {
    this._data = data;
    const nodes = new Map<string, ILineageNode>(data.nodes.map(n => [n.id, n]));
    const svg = sanitizeSvg(data.svg);
    if (!svg) {
      this._drawing.replaceChildren();
      this._status.textContent = 'The lineage drawing could not be read.';
      return;
    }
    for (const group of Array.from(svg.querySelectorAll('g.lineage-node'))) {
      const node = nodes.get(group.getAttribute('data-id') ?? '');
      if (!node) {
        continue; // a "+N more" box
      }
      group.classList.add('jp-mod-clickable');
      if (node.id === data.focus) {
        group.classList.add('jp-mod-focus');
      }
      group.setAttribute('tabindex', '0');
      group.setAttribute('role', 'button');
      group.setAttribute('aria-label', `Open ${node.registry} ${node.label}`);
      const open = () => this.onOpen?.(node.registry, node.record_id);
      group.addEventListener('click', open);
      group.addEventListener('keydown', event => {
        const key = (event as KeyboardEvent).key;
        if (key === 'Enter' || key === ' ') {
          event.preventDefault();
          open();
        }
      });
    }
    // fit the panel's width, but no smaller than 60%: a wide graph scrolls instead
    svg.style.minWidth = `${Math.round(data.layout.width * 0.6)}px`;
    this._drawing.replaceChildren(svg);
    const stale = data.nodes.filter(n => n.stale).length;
    const parts = [`${data.nodes.length} records, ${data.edges.length} links`];
    if (stale) {
      parts.push(`${stale} stale (red dashed border)`);
    }
    if (data.more) {
      parts.push(`+${data.more} more further away`);
    }
    parts.push('click a box to open its record');
    this._status.textContent = parts.join(' · ');
  }

  private _status: HTMLDivElement;
  private _drawing: HTMLDivElement;
  private _data: ILineageResponse | null = null;
  private _record: ILineageRecord | null = null;
  private _on = false;
  private _ticket = 0;
}
