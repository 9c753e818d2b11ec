/**
 * The "Registries" side panel: the current instance's registries, the latest
 * records of the one picked, a search box, and one record's details.
 *
 * All text reaches the page through `textContent`, never as markup, so a record
 * named `<img src=x onerror=alert(1)>` shows as those characters.
 */
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import {
  IRecordDetail,
  IRecordRow,
  IRecordsResponse,
  IRegistryInfo,
  getRecord,
  listRecords,
  listRegistries
} from './api';

/** Records per page in the panel. */
const PAGE_SIZE = 20;
/** Milliseconds of quiet after a keystroke before searching. */
const DEBOUNCE_MS = 250;

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

function errorMessage(error: unknown): string {
  if (error && typeof error === 'object' && 'message' in error) {
    return String((error as { message: unknown }).message);
  }
  return String(error);
}

export class RegistriesPanel extends Widget {
  constructor() {
    super();
    this.addClass('jp-lamindb-Panel');
    const header = element('div', 'jp-lamindb-header');
    header.appendChild(element('span', 'jp-lamindb-title', 'Registries'));
    this._instance = element('span', 'jp-lamindb-instance');
    header.appendChild(this._instance);
    const reload = element('button', 'jp-lamindb-reload jp-Button', '⟳');
    reload.title = 'Reload the registries';
    reload.addEventListener('click', () => void this.refresh());
    header.appendChild(reload);

    this._search = element('input', 'jp-lamindb-search jp-mod-styled');
    this._search.type = 'search';
    this._search.placeholder = 'Search…';
    this._search.addEventListener('input', () => this._onSearchInput());

    this._error = element('div', 'jp-lamindb-error');
    this._list = element('div', 'jp-lamindb-registries');
    this._detail = element('div', 'jp-lamindb-detail');

    this.node.append(header, this._search, this._error, this._list, this._detail);
  }

  /** The registry whose records are shown, or null. */
  get selected(): string | null {
    return this._selected;
  }

  /** Load the registries (again) and the records of the selected one. */
  async refresh(): Promise<void> {
    this._error.textContent = '';
    try {
      const data = await listRegistries();
      this._loaded = true;
      this._instance.textContent = data.instance;
      this._instance.title = `instance ${data.instance}`;
      this._registries = data.registries;
      if (
        this._selected === null ||
        !this._registries.some(r => r.name === this._selected)
      ) {
        const first =
          this._registries.find(r => r.name === 'Artifact') ??
          this._registries[0];
        this._selected = first ? first.name : null;
      }
      this._renderRegistries();
      await this._loadRecords(false);
    } catch (error) {
      this._showError(error);
    }
  }

  /** Show the latest records of `name`. */
  async select(name: string): Promise<void> {
    this._selected = name;
    this._renderRegistries();
    await this._loadRecords(false);
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    if (!this._loaded) {
      void this.refresh();
    }
  }

  private _onSearchInput(): void {
    if (this._timer !== undefined) {
      window.clearTimeout(this._timer);
    }
    this._timer = window.setTimeout(() => {
      this._timer = undefined;
      void this._loadRecords(false);
    }, DEBOUNCE_MS);
  }

  private _showError(error: unknown): void {
    this._error.textContent = errorMessage(error);
  }

  private _renderRegistries(): void {
    this._list.replaceChildren();
    this._records = null;
    const modules = new Map<string, IRegistryInfo[]>();
    for (const registry of this._registries) {
      const list = modules.get(registry.module) ?? [];
      list.push(registry);
      modules.set(registry.module, list);
    }
    for (const [module, registries] of modules) {
      if (modules.size > 1) {
        this._list.appendChild(element('div', 'jp-lamindb-module', module));
      }
      for (const registry of registries) {
        const isSelected = registry.name === this._selected;
        const item = element(
          'div',
          'jp-lamindb-registry' + (isSelected ? ' jp-mod-selected' : '')
        );
        const name = element(
          'div',
          'jp-lamindb-registry-name',
          `${isSelected ? '▾' : '▸'} ${registry.name}`
        );
        name.dataset.registry = registry.name;
        name.addEventListener('click', () => void this.select(registry.name));
        item.appendChild(name);
        if (isSelected) {
          this._search.placeholder = `Search ${registry.name}…`;
          this._records = element('div', 'jp-lamindb-records');
          item.appendChild(this._records);
        }
        this._list.appendChild(item);
      }
    }
  }

  private async _loadRecords(append: boolean): Promise<void> {
    const registry = this._selected;
    if (registry === null || this._records === null) {
      return;
    }
    const ticket = ++this._ticket;
    const q = this._search.value.trim();
    const offset = append ? this._offset + PAGE_SIZE : 0;
    let page: IRecordsResponse;
    try {
      page = await listRecords(registry, { q, offset, limit: PAGE_SIZE });
    } catch (error) {
      if (ticket === this._ticket) {
        this._showError(error);
      }
      return;
    }
    // an answer to an older keystroke or another registry: drop it
    if (ticket !== this._ticket || this._records === null) {
      return;
    }
    this._error.textContent = '';
    this._offset = offset;
    const info = this._registries.find(r => r.name === registry);
    const labelField = info ? info.display_field : 'uid';
    if (!append) {
      this._records.replaceChildren();
    }
    this._records.querySelector('.jp-lamindb-more')?.remove();
    if (page.records.length === 0 && !append) {
      this._records.appendChild(
        element(
          'div',
          'jp-lamindb-empty',
          q ? `No ${registry} record matches “${q}”.` : `No ${registry} records yet.`
        )
      );
    }
    for (const row of page.records) {
      this._records.appendChild(this._recordItem(registry, row, labelField));
    }
    if (page.has_more) {
      const more = element(
        'button',
        'jp-lamindb-more jp-Button',
        page.total !== null
          ? `More (${page.offset + page.records.length} of ${page.total})`
          : 'More'
      );
      more.addEventListener('click', () => void this._loadRecords(true));
      this._records.appendChild(more);
    }
  }

  private _recordItem(
    registry: string,
    row: IRecordRow,
    labelField: string
  ): HTMLElement {
    const item = element('div', 'jp-lamindb-record');
    const value = row[labelField];
    const label =
      value === null || value === undefined || value === ''
        ? `${registry} ${row.id}`
        : String(value);
    item.appendChild(element('span', 'jp-lamindb-record-label', label));
    if (row.uid && labelField !== 'uid') {
      item.appendChild(element('span', 'jp-lamindb-record-uid', row.uid));
    }
    item.title = label;
    item.addEventListener('click', () => {
      this.node
        .querySelectorAll('.jp-lamindb-record.jp-mod-selected')
        .forEach(n => n.classList.remove('jp-mod-selected'));
      item.classList.add('jp-mod-selected');
      void this._showRecord(registry, row.id);
    });
    return item;
  }

  private async _showRecord(registry: string, id: number): Promise<void> {
    let detail: IRecordDetail;
    try {
      detail = await getRecord(registry, id);
    } catch (error) {
      this._showError(error);
      return;
    }
    this._detail.replaceChildren(
      element('div', 'jp-lamindb-detail-title', `${detail.registry} · ${detail.label}`),
      element('pre', 'jp-lamindb-describe', detail.describe)
    );
  }

  private _instance: HTMLSpanElement;
  private _search: HTMLInputElement;
  private _error: HTMLDivElement;
  private _list: HTMLDivElement;
  private _detail: HTMLDivElement;
  private _records: HTMLDivElement | null = null;
  private _registries: IRegistryInfo[] = [];
  private _selected: string | null = null;
  private _loaded = false;
  private _offset = 0;
  private _ticket = 0;
  private _timer: number | undefined = undefined;
}
