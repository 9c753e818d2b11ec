/**
 * lamindb-jupyter: a "Registries" panel in JupyterLab's left sidebar.
 *
 * It lists the registries of the lamindb-core instance that the Jupyter server
 * uses, the latest records of the one picked, with a search box, and a record's
 * details; everything comes from the server extension's REST API (`./api`).
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { LabIcon } from '@jupyterlab/ui-components';

import { RegistriesPanel } from './panel';

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

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'lamindb-jupyter:registries',
  description: 'A left-panel browser of the lamindb-core registries.',
  autoStart: true,
  optional: [ILayoutRestorer, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null
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
  }
};

export default plugin;
