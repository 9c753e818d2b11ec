/**
 * The REST API of the server extension (lamindb_jupyter/server/handlers.py), typed.
 *
 * Every call goes through `requestAPI`, which adds the server's base URL, its
 * authentication (token or XSRF cookie, via ServerConnection) and turns an error
 * answer into a ResponseError carrying the server's message.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/** What the panel knows about a registry (`GET /lamindb/registries`). */
export interface IRegistryInfo {
  name: string;
  module: string;
  label: string;
  display_field: string;
  /** The fields a filter may use: own fields, then related names (`created_by__name`). */
  fields: string[];
  /**
   * The Django lookups the panel offers for each field, `icontains` first for text
   * (`exact`, `isnull` for a boolean); the server takes any lookup Django has for it.
   */
  lookups: Record<string, string[]>;
  /** What each filter field holds, from the model field's `help_text` (`""` if it has none). */
  help: Record<string, string>;
  include: string[];
  features: boolean;
  /** Whether its records have a lineage graph (artifacts, collections, runs, transforms). */
  lineage: boolean;
  searchable: boolean;
  /** How a notebook names the registry: `ln.ULabel`, `bt.CellType`. */
  python: string;
  /** A variable for one of its records: `ulabel`, `cell_type`. */
  variable: string;
}

export interface IRegistriesResponse {
  instance: string;
  registries: IRegistryInfo[];
}

/** A registered instance (`GET /lamindb/instances`). */
export interface IInstanceInfo {
  slug: string;
  owner: string;
  name: string;
  storage: string;
  db: string;
}

export interface IInstancesResponse {
  current: string | null;
  instances: IInstanceInfo[];
}

/** The instance a kernel uses (`GET /lamindb/kernels/<id>/instance`). */
export interface IKernelInstance {
  kernel: string;
  instance: string | null;
  /** `kernel`: it connected to it; `current`: it has not used one yet, and would use this. */
  source: 'kernel' | 'current';
}

/** One row of a page: `id` and the registry's columns. */
export interface IRecordRow {
  id: number;
  uid?: string;
  [column: string]: unknown;
}

/** A page of records (`GET /lamindb/registries/<name>/records`). */
export interface IRecordsResponse {
  registry: string;
  instance: string;
  order_by: string[];
  offset: number;
  limit: number;
  has_more: boolean;
  total: number | null;
  columns: string[];
  records: IRecordRow[];
}

export interface IRelatedRecord {
  id: number;
  label: string;
}

/** One record in detail (`GET /lamindb/registries/<name>/records/<id>`). */
export interface IRecordDetail {
  registry: string;
  id: number;
  uid: string | null;
  label: string;
  /** Where an artifact's data is (`s3://...` or a local path); null for other records. */
  path: string | null;
  fields: { name: string; value: unknown }[];
  relations: {
    name: string;
    registry: string;
    many: boolean;
    count: number;
    records: IRelatedRecord[];
  }[];
  describe: string;
}

/** A node of a lineage graph: a record of `registry` with id `record_id`. */
export interface ILineageNode {
  /** `artifact:12`: the `data-id` of its box in the SVG. */
  id: string;
  registry: string;
  uid: string;
  label: string;
  stale: boolean;
  /** Why it is stale, or that a newer version exists; empty otherwise. */
  note: string;
  record_id: number;
}

/** A record's lineage (`GET /lamindb/registries/<name>/records/<id>/lineage`). */
export interface ILineageResponse {
  registry: string;
  id: number;
  /** The node of the record asked about. */
  focus: string;
  nodes: ILineageNode[];
  /** In the direction data flows: input → run → output. */
  edges: { source: string; target: string }[];
  /** Nodes further away than the graph keeps. */
  more: number;
  layout: {
    width: number;
    height: number;
    boxes: {
      id: string;
      x: number;
      y: number;
      width: number;
      height: number;
      title: string;
      label: string;
    }[];
  };
  /** The drawing: an SVG document, each box a `<g class="lineage-node" data-id="...">`. */
  svg: string;
}

/**
 * One field filter, a Django lookup passed through as it is: `name__startswith=Cand`
 * (case-sensitive) is `{ field: 'name', op: 'startswith', value: 'Cand' }`; a search in
 * any case is `icontains` or `istartswith`. `exact` is `field=`; `ne` excludes.
 */
export interface IFieldFilter {
  field: string;
  op: string;
  value: string;
}

/** Query parameters of a records page. */
export interface IRecordsQuery {
  q?: string;
  offset?: number;
  limit?: number;
  /** Sort keys: `name`, `-created_at`. */
  orderBy?: string[];
  features?: boolean;
  filters?: IFieldFilter[];
  /** Read this instance instead of the server's current one. */
  instance?: string | null;
}

type Params = Array<[string, string | number | boolean | undefined | null]>;

/**
 * Call the server extension: `requestAPI<T>('registries')` → `GET <base>/lamindb/registries`.
 *
 * @throws ServerConnection.ResponseError with the server's message (400, 404, 409, 503),
 *   or ServerConnection.NetworkError when the server cannot be reached.
 */
export async function requestAPI<T>(
  endPoint: string,
  params: Record<string, string | number | boolean | undefined | null> | Params = {},
  init: RequestInit = {}
): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const pairs: Params = Array.isArray(params) ? params : Object.entries(params);
  const query = pairs
    .filter(([, value]) => value !== undefined && value !== null && value !== '')
    .map(
      ([key, value]) =>
        `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`
    )
    .join('&');
  const url =
    URLExt.join(settings.baseUrl, 'lamindb', endPoint) +
    (query ? `?${query}` : '');
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }
  const text = await response.text();
  let data: any = text;
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch (error) {
      console.error('lamindb-jupyter: not a JSON answer', response);
    }
  }
  if (!response.ok) {
    throw new ServerConnection.ResponseError(
      response,
      (data && data.message) || String(data)
    );
  }
  return data as T;
}

/** The registered instances and the current one. */
export function listInstances(): Promise<IInstancesResponse> {
  return requestAPI<IInstancesResponse>('instances');
}

/** The instance that a notebook's kernel uses. */
export function kernelInstance(kernelId: string): Promise<IKernelInstance> {
  return requestAPI<IKernelInstance>(
    `kernels/${encodeURIComponent(kernelId)}/instance`
  );
}

/** The registries of an instance (the server's current one by default). */
export function listRegistries(
  instance?: string | null
): Promise<IRegistriesResponse> {
  return requestAPI<IRegistriesResponse>('registries', { instance });
}

/** A page of a registry's records: newest first, best first for a search, or sorted. */
export function listRecords(
  registry: string,
  query: IRecordsQuery = {}
): Promise<IRecordsResponse> {
  const params: Params = [
    ['q', query.q],
    ['offset', query.offset],
    ['limit', query.limit],
    ['order_by', (query.orderBy ?? []).join(',')],
    ['features', query.features ? 'true' : undefined],
    ['instance', query.instance]
  ];
  for (const filter of query.filters ?? []) {
    const key = filter.op === 'exact' ? filter.field : `${filter.field}__${filter.op}`;
    params.push([key, filter.op === 'isnull' && !filter.value ? 'true' : filter.value]);
  }
  return requestAPI<IRecordsResponse>(
    `registries/${encodeURIComponent(registry)}/records`,
    params
  );
}

/** One record's fields, relations and describe() text. */
export function getRecord(
  registry: string,
  id: number | string,
  instance?: string | null
): Promise<IRecordDetail> {
  return requestAPI<IRecordDetail>(
    `registries/${encodeURIComponent(registry)}/records/${encodeURIComponent(String(id))}`,
    { instance }
  );
}

/** A record's lineage: nodes, edges and the drawing. */
export function getLineage(
  registry: string,
  id: number | string,
  instance?: string | null
): Promise<ILineageResponse> {
  return requestAPI<ILineageResponse>(
    `registries/${encodeURIComponent(registry)}/records/${encodeURIComponent(String(id))}/lineage`,
    { instance }
  );
}

/**
 * The code that fetches a record in a notebook:
 * `ulabel = ln.ULabel.get("C5PU6WG7")` and a line that shows it. `connect` first
 * connects the kernel to the record's instance, when the notebook uses another one.
 */
export function recordCode(
  registry: IRegistryInfo,
  record: { id: number; uid?: unknown },
  connect?: string | null
): string {
  const key =
    typeof record.uid === 'string' && record.uid
      ? JSON.stringify(record.uid)
      : String(record.id);
  const lines = [
    `${registry.variable} = ${registry.python}.get(${key})`,
    registry.variable
  ];
  if (connect) {
    lines.unshift(`ln.setup.connect(${JSON.stringify(connect)})`);
  }
  return lines.join('\n');
}
