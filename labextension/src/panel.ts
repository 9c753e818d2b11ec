/**
 * The "Registries" side panel: the registries of the instance that the notebook in
 * focus uses (or one picked), a registry's records as a paged, sortable table with
 * search and field filters, and one record's details with "Insert code" and, for
 * artifacts, collections, runs and transforms, a Lineage view whose boxes open their records.
 *
 * All text reaches the page through `textContent`, never as markup, so a record
 * named `<img src=x onerror=alert(1)>` shows as those characters. Colours come from
 * JupyterLab's theme variables (style/base.css), so the dark theme needs nothing more.
 */
import { Message } from '@lumino/messaging';
import { SplitPanel, Widget } from '@lumino/widgets';

import {
  IFieldFilter,
  IInstanceInfo,
  IRecordDetail,
  IRecordRow,
  IRecordsResponse,
  IRegistryInfo,
  getRecord,
  listInstances,
  listRecords,
  listRegistries
} from './api';
import { cellText, element, errorMessage, option } from './dom';
import { LineageView } from './lineage';

/** Records per page in the panel. */
const PAGE_SIZE = 20;
/** Milliseconds of quiet after a keystroke before searching. */
const DEBOUNCE_MS = 250;
/** The panel's width when the user has given it none: room for keys and details. */
const DEFAULT_WIDTH = 560;
/** Where the width the user gave the panel is remembered (across workspaces and resets). */
const WIDTH_KEY = 'lamindb-jupyter:panel-width';

/** What the panel knows about the notebook in focus. */
export interface INotebookInstance {
  /** The notebook's name, for the panel's caption. */
  notebook: string;
  /** The instance its kernel uses; null without a kernel. */
  instance: string | null;
  /** Whether the kernel connected to it (`kernel`) or will use the current one (`current`). */
  source: 'kernel' | 'current' | null;
}

/** A record that "Insert code" puts into the notebook. */
export interface IRecordRef {
  registry: IRegistryInfo;
  record: { id: number; uid?: unknown };
  /** The instance the record is in. */
  instance: string | null;
}

export class RegistriesPanel extends Widget {
  constructor() {
    super();
    this.addClass('jp-lamindb-Panel');
    this.node.tabIndex = -1;

    const header = element('div', 'jp-lamindb-header');
    header.appendChild(element('span', 'jp-lamindb-title', 'Registries'));
    this._instance = element('span', 'jp-lamindb-instance');
    header.appendChild(this._instance);
    const reload = element('button', 'jp-lamindb-reload jp-Button', '⟳');
    reload.title = 'Reload';
    reload.addEventListener('click', () => void this.refresh());
    header.appendChild(reload);

    const pickers = element('div', 'jp-lamindb-pickers');
    this._instancePicker = element(
      'select',
      'jp-lamindb-instance-picker jp-mod-styled'
    );
    this._instancePicker.title = 'The instance to browse';
    this._instancePicker.addEventListener('change', () => {
      const value = this._instancePicker.value;
      this._picked = value === '' ? null : value;
      void this.refresh();
    });
    this._registryPicker = element(
      'select',
      'jp-lamindb-registry-picker jp-mod-styled'
    );
    this._registryPicker.title = 'The registry to browse';
    this._registryPicker.addEventListener(
      'change',
      () => void this.select(this._registryPicker.value)
    );
    pickers.append(this._instancePicker, this._registryPicker);

    const tools = element('div', 'jp-lamindb-tools');
    this._search = element('input', 'jp-lamindb-search jp-mod-styled');
    this._search.type = 'search';
    this._search.placeholder = 'Search…';
    this._search.addEventListener('input', () => this._onSearchInput());
    const featuresLabel = element('label', 'jp-lamindb-features');
    this._features = element('input', '');
    this._features.type = 'checkbox';
    this._features.addEventListener('change', () => void this._loadPage(0));
    featuresLabel.append(this._features, document.createTextNode(' features'));
    this._featuresLabel = featuresLabel;
    const addFilter = element('button', 'jp-lamindb-add-filter jp-Button', '+ filter');
    addFilter.title = 'Add a field filter';
    addFilter.addEventListener('click', () => this._addFilterRow());
    tools.append(this._search, featuresLabel, addFilter);

    this._filters = element('div', 'jp-lamindb-filters');
    this._error = element('div', 'jp-lamindb-error');
    this._tableBox = element('div', 'jp-lamindb-table-box');
    this._table = element('table', 'jp-lamindb-table');
    this._table.tabIndex = 0;
    this._table.addEventListener('keydown', event => this._onKey(event));
    this._tableBox.appendChild(this._table);

    const pager = element('div', 'jp-lamindb-pager');
    this._previous = element('button', 'jp-lamindb-previous jp-Button', '‹');
    this._previous.title = 'Previous page';
    this._previous.addEventListener(
      'click',
      () => void this._loadPage(Math.max(0, this._offset - PAGE_SIZE))
    );
    this._pageLabel = element('span', 'jp-lamindb-page-label');
    this._next = element('button', 'jp-lamindb-next jp-Button', '›');
    this._next.title = 'Next page';
    this._next.addEventListener(
      'click',
      () => void this._loadPage(this._offset + PAGE_SIZE)
    );
    pager.append(this._previous, this._pageLabel, this._next);

    this._detail = element('div', 'jp-lamindb-detail');
    this._lineage = new LineageView();
    this._lineage.onOpen = (registry, id) => void this.openRecord(registry, id);

    this.node.append(
      header,
      pickers,
      tools,
      this._filters,
      this._error,
      this._tableBox,
      pager,
      this._detail
    );
  }

  /** Called when the user asks for a record's code ("Insert code"). */
  onInsert: ((record: IRecordRef) => void) | null = null;

  /** The registry whose records are shown, or null. */
  get selected(): string | null {
    return this._selected;
  }

  /** The instance shown: the one picked, else the notebook's, else the server's current one. */
  get instance(): string | null {
    return this._shown;
  }

  /** The instance to show: the one picked, else the notebook's; null for the current one. */
  private _wanted(): string | null {
    return this._picked ?? this._notebook.instance;
  }

  /** The instance of the notebook in focus, as its kernel told the server. */
  get notebookInstance(): INotebookInstance {
    return this._notebook;
  }

  /** The record whose details are shown. */
  get record(): IRecordRef | null {
    return this._record;
  }

  /**
   * Follow the notebook in focus: show its instance (unless the user picks
   * another one for this notebook). Reloads only when the instance changes.
   */
  setNotebook(notebook: INotebookInstance): void {
    if (notebook.notebook !== this._notebook.notebook) {
      this._picked = null; // a pick is for the notebook it was made in
    }
    this._notebook = notebook;
    this._showInstanceCaption();
    const wanted = this._wanted();
    if (this._loaded && wanted !== null && wanted !== this._shown) {
      void this.refresh();
    } else if (this._loaded) {
      this._renderInstances();
    }
  }

  /** A record as "Insert code" needs it, from a row of the table (for the context menu). */
  recordFromRow(row: HTMLElement): IRecordRef | null {
    const registry = this._registries.find(r => r.name === this._selected);
    const id = Number(row.dataset.id);
    if (!registry || !Number.isFinite(id)) {
      return null;
    }
    return {
      registry,
      record: { id, uid: row.dataset.uid || undefined },
      instance: this._shown
    };
  }

  /** Load the instances, the registries and the first page (again). */
  async refresh(): Promise<void> {
    this._error.textContent = '';
    const ticket = ++this._refreshTicket;
    const wanted = this._wanted();
    try {
      const [instances, data] = await Promise.all([
        listInstances(),
        listRegistries(wanted)
      ]);
      if (ticket !== this._refreshTicket) {
        return; // a later refresh (another notebook, another pick) is under way
      }
      this._loaded = true;
      this._instances = instances.instances;
      this._shown = data.instance;
      this._registries = data.registries;
      this._renderInstances();
      this._showInstanceCaption();
      if (
        this._selected === null ||
        !this._registries.some(r => r.name === this._selected)
      ) {
        const first =
          this._registries.find(r => r.name === 'Artifact') ??
          this._registries[0];
        this._selected = first ? first.name : null;
        this._orderBy = [];
        this._filterRows = [];
        this._filters.replaceChildren();
      }
      this._renderRegistries();
      this._showDetail(null);
      const now = this._wanted();
      if (now !== null && now !== wanted && now !== this._shown) {
        // the notebook told its instance while this one loaded: show that instead
        return this.refresh();
      }
      await this._loadPage(0);
    } catch (error) {
      if (ticket === this._refreshTicket) {
        this._showError(error);
      }
    }
  }

  /** Show the first page of `name`, with no sort, filters or search. */
  async select(name: string): Promise<void> {
    this._selected = name;
    this._orderBy = [];
    this._filterRows = [];
    this._filters.replaceChildren();
    this._search.value = '';
    this._features.checked = false;
    this._renderRegistries();
    this._showDetail(null);
    await this._loadPage(0);
  }

  /** Sort by `column`: ascending, then descending, then as the server orders. */
  async sortBy(column: string): Promise<void> {
    const current = this._orderBy[0];
    if (current === column) {
      this._orderBy = [`-${column}`];
    } else if (current === `-${column}`) {
      this._orderBy = [];
    } else {
      this._orderBy = [column];
    }
    await this._loadPage(0);
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._applyWidth();
    if (!this._loaded) {
      void this.refresh();
    }
  }

  protected onResize(msg: Widget.ResizeMessage): void {
    super.onResize(msg);
    // remember a width the user gave by dragging (not ours, not a collapsed sidebar)
    const width = this.node.offsetWidth;
    if (this.isVisible && width > 0 && this._widthApplied && !this._applying) {
      window.clearTimeout(this._widthTimer);
      this._widthTimer = window.setTimeout(() => {
        if (this.isVisible && this.node.offsetWidth > 0) {
          window.localStorage.setItem(WIDTH_KEY, String(this.node.offsetWidth));
        }
      }, 500);
    }
  }

  /** Give the sidebar the width the user gave it last, or one that shows keys and details. */
  private _applyWidth(): void {
    if (this._widthApplied) {
      return;
    }
    let child: Widget | null = this;
    while (child && child.parent && !(child.parent instanceof SplitPanel)) {
      child = child.parent;
    }
    const split = child?.parent;
    if (!child || !(split instanceof SplitPanel)) {
      return;
    }
    this._widthApplied = true;
    const total = split.node.clientWidth;
    const stored = Number(window.localStorage.getItem(WIDTH_KEY));
    const wanted = Math.min(
      stored > 0 ? stored : DEFAULT_WIDTH,
      Math.round(total * 0.6)
    );
    const index = split.widgets.indexOf(child);
    const sizes = split.relativeSizes();
    if (total <= 0 || index < 0 || index + 1 >= sizes.length) {
      return;
    }
    const now = sizes[index] * total;
    if (stored <= 0 && now >= wanted) {
      return; // already wide enough
    }
    const delta = wanted / total - sizes[index];
    const main = index === 0 ? 1 : index - 1;
    sizes[index] += delta;
    sizes[main] = Math.max(0.1, sizes[main] - delta);
    this._applying = true;
    split.setRelativeSizes(sizes);
    window.setTimeout(() => (this._applying = false), 100);
  }

  private _onSearchInput(): void {
    if (this._timer !== undefined) {
      window.clearTimeout(this._timer);
    }
    this._timer = window.setTimeout(() => {
      this._timer = undefined;
      void this._loadPage(0);
    }, DEBOUNCE_MS);
  }

  private _showError(error: unknown): void {
    this._error.textContent = errorMessage(error);
  }

  private _showInstanceCaption(): void {
    const shown = this._shown ?? '';
    this._instance.textContent = shown;
    let why: string;
    if (this._picked) {
      why = 'picked in this panel';
    } else if (this._notebook.instance && this._notebook.source === 'kernel') {
      why = `the instance of ${this._notebook.notebook}`;
    } else if (this._notebook.instance) {
      why = `the current instance, which ${this._notebook.notebook} will use`;
    } else {
      why = 'the current instance';
    }
    this._instance.title = `instance ${shown}: ${why}`;
  }

  private _renderInstances(): void {
    this._instancePicker.replaceChildren();
    const notebook = this._notebook.instance;
    const follow = option(
      '',
      notebook
        ? `${notebook} (${this._notebook.notebook})`
        : `${this._shown ?? ''} (current)`
    );
    this._instancePicker.appendChild(follow);
    for (const instance of this._instances) {
      this._instancePicker.appendChild(option(instance.slug, instance.slug));
    }
    this._instancePicker.value = this._picked ?? '';
  }

  private _renderRegistries(): void {
    this._registryPicker.replaceChildren();
    const modules = new Map<string, IRegistryInfo[]>();
    for (const registry of this._registries) {
      const list = modules.get(registry.module) ?? [];
      list.push(registry);
      modules.set(registry.module, list);
    }
    for (const [module, registries] of modules) {
      const group = document.createElement('optgroup');
      group.label = module;
      for (const registry of registries) {
        group.appendChild(option(registry.name, registry.name));
      }
      this._registryPicker.appendChild(group);
    }
    if (this._selected !== null) {
      this._registryPicker.value = this._selected;
      this._search.placeholder = `Search ${this._selected}…`;
    }
    const info = this._info();
    this._featuresLabel.style.display = info && info.features ? '' : 'none';
  }

  private _info(): IRegistryInfo | undefined {
    return this._registries.find(r => r.name === this._selected);
  }

  private _addFilterRow(): void {
    const info = this._info();
    if (!info) {
      return;
    }
    const row = element('div', 'jp-lamindb-filter');
    const field = element('select', 'jp-lamindb-filter-field jp-mod-styled');
    // each field's help text as a tooltip: on its option in the open list, and on the
    // closed picker for the field chosen
    const help = (name: string) => info.help?.[name] ?? '';
    for (const name of info.fields) {
      const node = option(name, name);
      node.title = help(name);
      field.appendChild(node);
    }
    field.title = help(field.value);
    const op = element('select', 'jp-lamindb-filter-op jp-mod-styled');
    // the lookups of the field, as the server lists them: a lookup that exists for it
    const lookups = () => {
      const offered = info.lookups[field.value] ?? ['exact'];
      const kept = offered.includes(op.value) ? op.value : offered[0];
      op.replaceChildren(...offered.map(name => option(name, name)));
      op.value = kept;
    };
    lookups();
    const value = element('input', 'jp-lamindb-filter-value jp-mod-styled');
    value.placeholder = 'value';
    const remove = element('button', 'jp-lamindb-filter-remove jp-Button', '×');
    remove.title = 'Remove this filter';
    const filter: IFieldFilter = { field: field.value, op: op.value, value: '' };
    const changed = () => {
      filter.field = field.value;
      filter.op = op.value;
      filter.value = value.value;
      this._onSearchInput();
    };
    field.addEventListener('change', () => {
      field.title = help(field.value);
      lookups();
      changed();
    });
    op.addEventListener('change', changed);
    value.addEventListener('input', changed);
    remove.addEventListener('click', () => {
      this._filterRows = this._filterRows.filter(f => f !== filter);
      row.remove();
      void this._loadPage(0);
    });
    row.append(field, op, value, remove);
    this._filters.appendChild(row);
    this._filterRows.push(filter);
    value.focus();
  }

  private async _loadPage(offset: number): Promise<void> {
    const registry = this._selected;
    if (registry === null) {
      return;
    }
    const ticket = ++this._ticket;
    const q = this._search.value.trim();
    let page: IRecordsResponse;
    try {
      page = await listRecords(registry, {
        q,
        offset,
        limit: PAGE_SIZE,
        orderBy: this._orderBy,
        features: this._features.checked,
        filters: this._filterRows.filter(f => f.value !== '' || f.op === 'isnull'),
        instance: this._shown
      });
    } catch (error) {
      if (ticket === this._ticket) {
        this._showError(error);
      }
      return;
    }
    // an answer to an older keystroke or another registry: drop it
    if (ticket !== this._ticket) {
      return;
    }
    this._error.textContent = '';
    this._offset = page.offset;
    this._renderTable(page, q);
  }

  private _renderTable(page: IRecordsResponse, q: string): void {
    const registry = page.registry;
    const head = element('thead', '');
    const headRow = element('tr', '');
    const sorted = this._orderBy[0] ?? '';
    const info = this._info();
    const sortable = new Set(info ? info.fields : []);
    for (const column of page.columns) {
      const th = element('th', 'jp-lamindb-column');
      th.dataset.column = column;
      const label = element('span', '', column);
      th.appendChild(label);
      if (sortable.has(column)) {
        th.classList.add('jp-mod-sortable');
        const mark =
          sorted === column ? ' ▲' : sorted === `-${column}` ? ' ▼' : '';
        th.appendChild(element('span', 'jp-lamindb-sort', mark));
        th.title = `Sort by ${column}`;
        th.addEventListener('click', () => void this.sortBy(column));
      }
      headRow.appendChild(th);
    }
    head.appendChild(headRow);
    const body = element('tbody', '');
    for (const row of page.records) {
      body.appendChild(this._row(page.columns, row));
    }
    this._table.replaceChildren(head, body);
    if (page.records.length === 0) {
      const empty = element('tr', 'jp-lamindb-empty');
      const cell = element(
        'td',
        '',
        q || this._filterRows.length
          ? `No ${registry} record matches.`
          : `No ${registry} records yet.`
      );
      cell.colSpan = Math.max(1, page.columns.length);
      empty.appendChild(cell);
      body.appendChild(empty);
    }
    const first = page.records.length ? page.offset + 1 : page.offset;
    const last = page.offset + page.records.length;
    const of = page.total !== null ? `${page.total}` : 'many';
    this._pageLabel.textContent =
      page.records.length || page.offset
        ? `${first}–${last} of ${of}`
        : 'no records';
    this._previous.disabled = page.offset === 0;
    this._next.disabled = !page.has_more;
    const picked = this._record?.record.id;
    if (picked !== undefined) {
      this._table
        .querySelector(`tr[data-id="${picked}"]`)
        ?.classList.add('jp-mod-selected');
    }
  }

  private _row(columns: string[], row: IRecordRow): HTMLTableRowElement {
    const tr = element('tr', 'jp-lamindb-row');
    tr.dataset.id = String(row.id);
    if (typeof row.uid === 'string') {
      tr.dataset.uid = row.uid;
    }
    for (const column of columns) {
      const text = cellText(row[column]);
      const td = element('td', '', text);
      if (text.length > 24) {
        td.title = text;
      }
      tr.appendChild(td);
    }
    tr.addEventListener('click', () => void this._pick(tr));
    tr.addEventListener('contextmenu', () => void this._pick(tr));
    return tr;
  }

  private async _pick(tr: HTMLTableRowElement): Promise<void> {
    const info = this._info();
    if (!info) {
      return;
    }
    this._markRow(tr);
    const id = Number(tr.dataset.id);
    if (this._record?.record.id === id && this._record.registry === info) {
      return;
    }
    await this._openDetail(info, id);
  }

  /**
   * Show a record's details (a click on a box of the lineage does this): switch to its
   * registry, and pick its row when it is on the page.
   */
  async openRecord(registry: string, id: number): Promise<void> {
    if (registry !== this._selected) {
      if (!this._registries.some(r => r.name === registry)) {
        this._showError(`no registry ${registry} in this instance`);
        return;
      }
      this._registryPicker.value = registry;
      await this.select(registry);
    }
    const info = this._info();
    if (!info) {
      return;
    }
    this._markRow(this._table.querySelector<HTMLTableRowElement>(`tr.jp-lamindb-row[data-id="${id}"]`));
    await this._openDetail(info, id);
  }

  /** Mark `tr` as the picked row (none: a record off the page) and scroll it into view. */
  private _markRow(tr: HTMLTableRowElement | null): void {
    this._table
      .querySelectorAll('tr.jp-mod-selected')
      .forEach(n => n.classList.remove('jp-mod-selected'));
    if (tr) {
      tr.classList.add('jp-mod-selected');
      this._scrollToRow(tr);
    }
  }

  private async _openDetail(info: IRegistryInfo, id: number): Promise<void> {
    const ticket = ++this._detailTicket;
    let detail: IRecordDetail;
    try {
      detail = await getRecord(info.name, id, this._shown);
    } catch (error) {
      this._showError(error);
      return;
    }
    if (ticket === this._detailTicket) {
      this._record = {
        registry: info,
        record: { id: detail.id, uid: detail.uid ?? undefined },
        instance: this._shown
      };
      this._showDetail(detail);
    }
  }

  /** Scroll the table up or down (never sideways) so that `tr` shows below the header. */
  private _scrollToRow(tr: HTMLTableRowElement): void {
    const box = this._tableBox;
    const header = this._table.tHead?.offsetHeight ?? 0;
    const top = tr.offsetTop - header;
    const bottom = tr.offsetTop + tr.offsetHeight - box.clientHeight;
    if (top < box.scrollTop) {
      box.scrollTop = top;
    } else if (bottom > box.scrollTop) {
      box.scrollTop = bottom;
    }
  }

  private _onKey(event: KeyboardEvent): void {
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') {
      return;
    }
    const rows = Array.from(
      this._table.querySelectorAll<HTMLTableRowElement>('tr.jp-lamindb-row')
    );
    if (rows.length === 0) {
      return;
    }
    event.preventDefault();
    const current = rows.findIndex(r => r.classList.contains('jp-mod-selected'));
    const step = event.key === 'ArrowDown' ? 1 : -1;
    const next =
      current < 0
        ? step > 0
          ? 0
          : rows.length - 1
        : Math.min(Math.max(current + step, 0), rows.length - 1);
    void this._pick(rows[next]);
  }

  private _showDetail(detail: IRecordDetail | null): void {
    if (detail === null) {
      this._record = null;
      this._lineage.setRecord(null);
      this._detail.replaceChildren();
      return;
    }
    const title = element('div', 'jp-lamindb-detail-title');
    title.appendChild(
      element('span', 'jp-lamindb-detail-label', `${detail.registry} · ${detail.label}`)
    );
    const insert = element('button', 'jp-lamindb-insert jp-Button', 'Insert code');
    insert.title = 'Put the code that fetches this record into the active notebook cell';
    insert.addEventListener('click', () => {
      if (this._record && this.onInsert) {
        this.onInsert(this._record);
      }
    });
    title.appendChild(insert);
    const info = this._registries.find(r => r.name === detail.registry);
    const lineage = info?.lineage ? this._lineage : null;
    this._lineage.setRecord(lineage ? { registry: detail.registry, id: detail.id, instance: this._shown } : null);
    if (lineage) {
      title.insertBefore(lineage.toggle, insert);
    }
    const parts: HTMLElement[] = [title];
    if (detail.path) {
      // where the data is, local or in a bucket: selectable, and copied with one click
      const line = element('div', 'jp-lamindb-path');
      const copy = element('button', 'jp-lamindb-copy-path jp-Button', 'Copy');
      copy.title = 'Copy the path to the clipboard';
      copy.addEventListener('click', () => {
        void navigator.clipboard?.writeText(detail.path ?? '');
      });
      line.append(
        element('span', 'jp-lamindb-path-label', 'path'),
        element('code', 'jp-lamindb-path-value', detail.path),
        copy
      );
      parts.push(line);
    }
    if (lineage) {
      parts.push(lineage.node);
    }
    parts.push(element('pre', 'jp-lamindb-describe', detail.describe));
    this._detail.replaceChildren(...parts);
  }

  private _instance: HTMLSpanElement;
  private _instancePicker: HTMLSelectElement;
  private _registryPicker: HTMLSelectElement;
  private _search: HTMLInputElement;
  private _features: HTMLInputElement;
  private _featuresLabel: HTMLLabelElement;
  private _filters: HTMLDivElement;
  private _error: HTMLDivElement;
  private _tableBox: HTMLDivElement;
  private _table: HTMLTableElement;
  private _previous: HTMLButtonElement;
  private _next: HTMLButtonElement;
  private _pageLabel: HTMLSpanElement;
  private _detail: HTMLDivElement;
  private _lineage: LineageView;
  private _registries: IRegistryInfo[] = [];
  private _instances: IInstanceInfo[] = [];
  private _selected: string | null = null;
  private _picked: string | null = null;
  private _shown: string | null = null;
  private _notebook: INotebookInstance = {
    notebook: '',
    instance: null,
    source: null
  };
  private _record: IRecordRef | null = null;
  private _orderBy: string[] = [];
  private _filterRows: IFieldFilter[] = [];
  private _loaded = false;
  private _offset = 0;
  private _ticket = 0;
  private _detailTicket = 0;
  private _refreshTicket = 0;
  private _timer: number | undefined = undefined;
  private _widthTimer: number | undefined = undefined;
  private _widthApplied = false;
  private _applying = false;
}
