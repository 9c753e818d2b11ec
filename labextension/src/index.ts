/**
 * lamindb-jupyter: a "Registries" panel in JupyterLab's left sidebar.
 *
 * It shows the registries of the instance that the notebook in focus uses (its
 * kernel tells the server extension when it connects) or of one picked from the
 * registered instances, a registry's records as a paged, sortable table with
 * search and field filters, a record's details, and "Insert code", which puts the
 * code that fetches a record into the active notebook cell. Everything comes from
 * the server extension's REST API (`./api`).
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import {
  INotebookTracker,
  NotebookActions,
  NotebookPanel
} from '@jupyterlab/notebook';
import { LabIcon } from '@jupyterlab/ui-components';

import { kernelInstance, recordCode } from './api';
import { IRecordRef, RegistriesPanel } from './panel';

/** Stacked records: the panel's icon in the sidebar. */
const registriesIcon = new LabIcon({
  name: 'lamindb-jupyter:registries',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">' +
    '<g class="jp-icon3" fill="#616161">' +
    '<path d="M12 2C7.6 2 4 3.3 4 5v14c0 1.7 3.6 3 8 3s8-1.3 8-3V5c0-1.7-3.6-3-8-3zm6 17c0 .5-2.1 1.5-6 1.5S6 19.5 6 19v-2.3c1.5.8 3.7 1.1 6 1.1s4.5-.4 6-1.1V19zm0-4.5c0 .5-2.1 1.5-6 1.5s-6-1-6-1.5v-2.3c1.5.8 3.7 1.1 6 1.1s4.5-.4 6-1.1v2.3zm0-4.5c0 .5-2.1 1.5-6 1.5S6 10.5 6 10V7.7C7.5 8.5 9.7 8.8 12 8.8s4.5-.4 6-1.1V10zm-6-3c-3.9 0-6-1-6-1.5S8.1 4 12 4s6 1 6 1.5S15.9 7 12 7z"/>' +
    '</g></svg>'
});

const COMMAND = 'lamindb:show-registries';
const INSERT_COMMAND = 'lamindb:insert-record-code';
/** Milliseconds after a kernel goes idle before asking which instance it uses. */
const IDLE_DELAY_MS = 300;

/**
 * Put `code` into the active cell of `notebook`: into an empty code cell as it is,
 * after the code of a non-empty one on a new line, or into a new code cell below a
 * Markdown or raw cell.
 */
function insertCode(notebook: NotebookPanel, code: string): void {
  const content = notebook.content;
  let cell = content.activeCell;
  if (!cell || cell.model.type !== 'code') {
    NotebookActions.insertBelow(content);
    cell = content.activeCell;
    if (!cell) {
      return;
    }
    if (cell.model.type !== 'code') {
      NotebookActions.changeCellType(content, 'code');
      cell = content.activeCell!;
    }
  }
  const source = cell.model.sharedModel.getSource();
  const text =
    source.trim() === ''
      ? code
      : source + (source.endsWith('\n') ? '' : '\n') + code;
  cell.model.sharedModel.setSource(text);
  content.mode = 'edit';
  cell.editor?.focus();
  const lines = text.split('\n');
  cell.editor?.setCursorPosition({
    line: lines.length - 1,
    column: lines[lines.length - 1].length
  });
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'lamindb-jupyter:registries',
  description: 'A left-panel browser of the lamindb-core registries.',
  autoStart: true,
  optional: [ILayoutRestorer, ICommandPalette, INotebookTracker],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    tracker: INotebookTracker | null
  ) => {
    const panel = new RegistriesPanel();
    panel.id = 'lamindb-registries';
    panel.title.icon = registriesIcon;
    panel.title.caption = 'Registries (lamindb)';
    app.shell.add(panel, 'left', { rank: 650 });
    if (restorer) {
      restorer.add(panel, 'lamindb-registries');
    }
    app.commands.addCommand(COMMAND, {
      label: 'Show the lamindb Registries panel',
      execute: () => {
        app.shell.activateById(panel.id);
        void panel.refresh();
      }
    });
    if (palette) {
      palette.addItem({ command: COMMAND, category: 'lamindb' });
    }

    // the record of the row under the context menu, else the one whose details show
    const target = (): IRecordRef | null => {
      const row = app.contextMenuHitTest(node =>
        node.classList.contains('jp-lamindb-row')
      );
      return row ? panel.recordFromRow(row) : panel.record;
    };
    const insert = (ref: IRecordRef | null) => {
      const notebook = tracker?.currentWidget;
      if (!ref || !notebook) {
        return;
      }
      // the notebook uses another instance: the code connects to the record's first
      const notebookInstance = panel.notebookInstance.instance;
      const connect =
        ref.instance && notebookInstance && ref.instance !== notebookInstance
          ? ref.instance
          : null;
      insertCode(notebook, recordCode(ref.registry, ref.record, connect));
      app.shell.activateById(notebook.id);
    };
    app.commands.addCommand(INSERT_COMMAND, {
      label: 'Insert code',
      caption:
        'Put the code that fetches this record into the active notebook cell',
      isEnabled: () => !!tracker?.currentWidget,
      execute: () => insert(target())
    });
    app.contextMenu.addItem({
      command: INSERT_COMMAND,
      selector: '.jp-lamindb-row',
      rank: 0
    });
    panel.onInsert = ref => insert(ref);

    if (tracker) {
      followNotebooks(tracker, panel);
    }
    letWidgetTablesHaveTheArrowKeys();
  }
};

/**
 * The widget browser's table (`browse()`) is a list box: the arrow keys move its pick.
 * JupyterLab's notebook takes a focused <select> for command mode, where ArrowUp and
 * ArrowDown move between cells; the attribute makes its shortcuts leave the keys to the
 * list box while it has the focus.
 */
function letWidgetTablesHaveTheArrowKeys(): void {
  document.addEventListener(
    'focusin',
    event => {
      const target = event.target;
      if (
        target instanceof HTMLSelectElement &&
        target.closest('.lamindb-browser-rows')
      ) {
        target.setAttribute('data-lm-suppress-shortcuts', 'true');
      }
    },
    true
  );
}

/**
 * Tell the panel which instance the notebook in focus uses: when the focus moves,
 * its kernel changes, or its kernel goes idle after running code (which may have
 * connected to another instance).
 */
function followNotebooks(tracker: INotebookTracker, panel: RegistriesPanel): void {
  let watched: NotebookPanel | null = null;
  let timer: number | undefined;
  let ticket = 0;

  const ask = async () => {
    const notebook = watched;
    const mine = ++ticket;
    if (!notebook) {
      panel.setNotebook({ notebook: '', instance: null, source: null });
      return;
    }
    const name = notebook.context.path.split('/').pop() ?? notebook.context.path;
    const kernel = notebook.sessionContext.session?.kernel;
    if (!kernel) {
      if (mine === ticket) {
        panel.setNotebook({ notebook: name, instance: null, source: null });
      }
      return;
    }
    try {
      const answer = await kernelInstance(kernel.id);
      if (mine === ticket && watched === notebook) {
        panel.setNotebook({
          notebook: name,
          instance: answer.instance,
          source: answer.source
        });
      }
    } catch (error) {
      // a kernel the server does not know (yet): the panel keeps what it shows
      console.warn('lamindb-jupyter: which instance does the kernel use?', error);
    }
  };
  const askSoon = () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void ask(), IDLE_DELAY_MS);
  };
  const onStatus = (_: unknown, status: string) => {
    if (status === 'idle') {
      askSoon();
    }
  };
  const watch = (notebook: NotebookPanel | null) => {
    if (watched) {
      watched.sessionContext.kernelChanged.disconnect(askSoon);
      watched.sessionContext.statusChanged.disconnect(onStatus);
    }
    watched = notebook;
    if (notebook) {
      notebook.sessionContext.kernelChanged.connect(askSoon);
      notebook.sessionContext.statusChanged.connect(onStatus);
      void notebook.sessionContext.ready.then(askSoon);
    }
    askSoon();
  };
  tracker.currentChanged.connect((_, notebook) => watch(notebook));
  watch(tracker.currentWidget);
}

export default plugin;
