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
  fields: string[];
  include: string[];
  features: boolean;
  searchable: boolean;
}

export interface IRegistriesResponse {
  instance: string;
  registries: IRegistryInfo[];
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

/** Query parameters of a records page. */
export interface IRecordsQuery {
  q?: string;
  offset?: number;
  limit?: number;
}

/**
 * Call the server extension: `requestAPI<T>('registries')` → `GET <base>/lamindb/registries`.
 *
 * @throws ServerConnection.ResponseError with the server's message (400, 404, 409, 503),
 *   or ServerConnection.NetworkError when the server cannot be reached.
 */
export async function requestAPI<T>(
  endPoint: string,
  params: Record<string, string | number | undefined> = {},
  init: RequestInit = {}
): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const query = Object.entries(params)
    .filter(([, value]) => value !== undefined && value !== '')
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

/** The registries of the server's current instance. */
export function listRegistries(): Promise<IRegistriesResponse> {
  return requestAPI<IRegistriesResponse>('registries');
}

/** A page of a registry's records, newest first, or best first for a search. */
export function listRecords(
  registry: string,
  query: IRecordsQuery = {}
): Promise<IRecordsResponse> {
  return requestAPI<IRecordsResponse>(
    `registries/${encodeURIComponent(registry)}/records`,
    { q: query.q, offset: query.offset, limit: query.limit }
  );
}

/** One record's fields, relations and describe() text. */
export function getRecord(
  registry: string,
  id: number | string
): Promise<IRecordDetail> {
  return requestAPI<IRecordDetail>(
    `registries/${encodeURIComponent(registry)}/records/${encodeURIComponent(String(id))}`
  );
}
