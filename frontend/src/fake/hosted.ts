// The fake management server: catalogs dev and prod, a login that accepts any token but
// "wrong", and publishes checked for removed paths (the fake's idea of a breaking change).

import type { CatalogNode, CatalogRevision, CatalogStatus, HostedAPI, HostedStatus, PublishChange, PublishCheck, PullResult } from '../api';

interface Published {
  text: string;
  /** The spec text of each revision, oldest first. */
  texts: string[];
  revisions: CatalogRevision[];
}

export interface FakeHostedControls {
  /** Publishes text as api's next revision in catalog, as someone else would. */
  publishElsewhere(catalog: string, api: string, text: string): void;
  /** Logs in without the dialog. */
  loginAs(user: string): void;
}

export interface FakeHostedDeps {
  enter(method: string): Promise<void>;
  /** The workspace API's newest text; throws when there is no such API. */
  specText(api: string): string;
  /** Stores text as the workspace API's newest revision, creating the API if needed. */
  storeSpec(api: string, text: string): void;
  /** How many operations the spec text has. */
  operationsOf(text: string): number;
}

const SERVER = 'http://127.0.0.1:9090';

/** The path templates of a YAML spec (two-space indented keys under paths:). */
function pathsOf(text: string): string[] {
  const out: string[] = [];
  let inPaths = false;
  for (const line of text.split('\n')) {
    if (/^paths:/.test(line)) inPaths = true;
    else if (/^\S/.test(line)) inPaths = false;
    else if (inPaths) {
      const m = /^ {2}(\/[^:]*):/.exec(line);
      if (m?.[1]) out.push(m[1]);
    }
  }
  return out;
}

function pointer(path: string): string {
  return `#/paths/${path.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

function diff(before: string | undefined, after: string): PublishChange[] {
  if (before === undefined || before === after) return [];
  const a = pathsOf(before);
  const b = pathsOf(after);
  const removed: PublishChange[] = a
    .filter((p) => !b.includes(p))
    .map((p) => ({ breaking: true, level: 'error', id: 'api-path-removed-without-deprecation', operation: '', path: p, pointer: pointer(p), location: '', text: `api path removed without deprecation` }));
  const added: PublishChange[] = b
    .filter((p) => !a.includes(p))
    .map((p) => ({ breaking: false, level: 'info', id: 'path-added', operation: '', path: p, pointer: pointer(p), location: '', text: 'path added' }));
  const other: PublishChange[] =
    removed.length + added.length === 0
      ? [{ breaking: false, level: 'info', id: 'spec-changed', operation: '', path: '', pointer: '', location: '', text: 'the document changed' }]
      : [];
  return [...removed, ...added, ...other];
}

export function createFakeHosted(deps: FakeHostedDeps): { hosted: HostedAPI; controls: FakeHostedControls } {
  const { enter, specText, storeSpec, operationsOf } = deps;
  const localText = (api: string): string | undefined => {
    try {
      return specText(api);
    } catch {
      return undefined;
    }
  };
  let status: HostedStatus = { server: '', user: '', admin: false, loggedIn: false, storage: '', error: '' };
  const catalogs = new Map<string, Map<string, Published>>([
    ['dev', new Map()],
    ['prod', new Map()],
  ]);
  const bases = new Map<string, number>();
  const key = (catalog: string, api: string) => `${catalog} ${api}`;
  const nodes: Record<string, CatalogNode[]> = {
    dev: [],
    prod: [{ id: 'prod-node-1', version: 'dev', sequence: 0, revisions: [], addr: '10.0.0.5', error: '', lastSeen: new Date().toISOString(), behind: false }],
  };

  const mustLogin = () => {
    if (!status.loggedIn) throw new Error('not logged in to a management server');
  };
  const catalog = (name: string) => {
    const c = catalogs.get(name);
    if (!c) throw new Error(`server answered 404: no catalog named "${name}"`);
    return c;
  };
  const publishTo = (cat: string, api: string, text: string, by: string, reason: string, breaking: number) => {
    const c = catalog(cat);
    const p = c.get(api) ?? { text: '', texts: [], revisions: [] };
    const n = p.revisions.length + 1;
    p.text = text;
    p.texts.push(text);
    p.revisions = [{ number: n, hash: `sha256:${n}${api}`, publishedBy: by, publishedAt: new Date().toISOString(), reason, breaking, promotedFrom: '', promotedRevision: 0 }, ...p.revisions];
    c.set(api, p);
    return n;
  };

  const check = (api: string, cat: string): PublishCheck => {
    const p = catalog(cat).get(api);
    const text = specText(api);
    const changes = diff(p?.text, text);
    const current = p?.revisions.length ?? 0;
    const base = bases.get(key(cat, api)) ?? 0;
    const unchanged = p !== undefined && p.text === text;
    return {
      api,
      catalog: cat,
      currentRevision: current,
      currentPublishedBy: p?.revisions[0]?.publishedBy ?? '',
      baseRevision: base,
      stale: !unchanged && current !== base,
      unchanged,
      changes,
      breaking: changes.filter((c) => c.breaking).length,
    };
  };

  const hosted: HostedAPI = {
    async Login(server, token) {
      await enter('Login');
      if (!/^https?:\/\/\S+$/.test(server.trim())) throw new Error(`server URL "${server}": want http(s)://host[:port]`);
      if (!token.trim()) throw new Error('enter a token');
      if (token.trim() === 'wrong') throw new Error(`logging in to ${server}: server answered 401: unknown or revoked token`);
      status = { server: server.trim(), user: 'admin', admin: true, loggedIn: true, storage: 'file', error: '' };
      return { ...status };
    },
    async Logout() {
      await enter('Logout');
      status = { server: '', user: '', admin: false, loggedIn: false, storage: '', error: '' };
      return { ...status };
    },
    async Status() {
      await enter('Status');
      return { ...status };
    },
    async Catalogs() {
      await enter('Catalogs');
      mustLogin();
      return [...catalogs.keys()].map((name, i) => ({ name, baseUrl: `https://${name}.gateway.example`, sequence: i }));
    },
    async CheckPublish(api, cat) {
      await enter('CheckPublish');
      mustLogin();
      return check(api, cat);
    },
    async Publish(api, cat, allowBreaking, reason) {
      await enter('Publish');
      mustLogin();
      if (allowBreaking && !reason.trim()) throw new Error('allowing breaking changes needs a reason');
      const c = check(api, cat);
      if (c.unchanged) return { api, catalog: cat, revision: c.currentRevision, created: false, changes: [], breaking: 0 };
      if (c.stale) {
        throw new Error(`stale-revision: the catalog has revision ${c.currentRevision} (published by ${c.currentPublishedBy}) since this copy was last published or pulled; pull it, then publish again`);
      }
      if (c.breaking > 0 && !allowBreaking) {
        const list = c.changes.filter((x) => x.breaking).map((x) => `\n${x.path}: ${x.text}`);
        throw new Error(`breaking-changes: ${c.breaking} breaking change${c.breaking === 1 ? '' : 's'}; allow breaking changes with a reason to publish${list.join('')}`);
      }
      const n = publishTo(cat, api, specText(api), status.user, reason.trim(), c.breaking);
      bases.set(key(cat, api), n);
      return { api, catalog: cat, revision: n, created: true, changes: c.changes, breaking: c.breaking };
    },
    async APIStatus(api) {
      await enter('APIStatus');
      if (!status.loggedIn) return [];
      const out: CatalogStatus[] = [];
      for (const [cat, apis] of catalogs) {
        const p = apis.get(api);
        if (!p) continue;
        const base = bases.get(key(cat, api)) ?? 0;
        const changed = p.text !== specText(api);
        out.push({ catalog: cat, revision: p.revisions.length, state: 'published', baseRevision: base, stale: p.revisions.length > base && changed, changed });
      }
      return out;
    },
    async CatalogView(cat) {
      await enter('CatalogView');
      mustLogin();
      const apis = catalog(cat);
      const seq = [...apis.values()].reduce((n, p) => n + p.revisions.length, 0);
      return {
        catalog: { name: cat, baseUrl: `https://${cat}.gateway.example`, sequence: seq },
        apis: [...apis.entries()]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([name, p]) => ({ name, revision: p.revisions.length, state: 'published', publishedBy: p.revisions[0]?.publishedBy ?? '', updatedAt: p.revisions[0]?.publishedAt ?? '', revisions: p.revisions.map((r) => ({ ...r })) })),
        nodes: (nodes[cat] ?? []).map((n) => ({ ...n, sequence: n.sequence, behind: n.sequence < seq, revisions: [...n.revisions] })),
      };
    },
    async Pull(cat, names) {
      await enter('Pull');
      mustLogin();
      const apis = catalog(cat);
      const out: PullResult[] = [];
      for (const api of names.length > 0 ? names : [...apis.keys()].sort()) {
        const p = apis.get(api);
        if (!p) {
          out.push({ api, catalog: cat, revision: 0, state: '', outcome: 'failed', operations: 0, error: `pulling ${api} from ${cat}: server answered 404: API "${api}" in catalog "${cat}": not found` });
          continue;
        }
        const n = p.revisions.length;
        const local = localText(api);
        const base = bases.get(key(cat, api)) ?? 0;
        const r: PullResult = { api, catalog: cat, revision: n, state: 'published', outcome: 'up-to-date', operations: operationsOf(p.text) };
        if (local === undefined) {
          storeSpec(api, p.text);
          r.outcome = 'added';
        } else if (local === p.text) {
          r.outcome = 'up-to-date';
        } else if (base > 0 && p.texts[base - 1] === local) {
          storeSpec(api, p.text);
          r.outcome = 'updated';
        } else {
          r.outcome = 'kept-local';
          r.reason = base > 0 ? `the local copy changed since revision ${base} was published or pulled` : 'the local copy was never published to or pulled from this catalog';
          r.operations = operationsOf(local);
        }
        bases.set(key(cat, api), n);
        out.push(r);
      }
      return out;
    },
  };

  const controls: FakeHostedControls = {
    publishElsewhere(cat, api, text) {
      publishTo(cat, api, text, 'someone-else', '', 0);
    },
    loginAs(user) {
      status = { server: SERVER, user, admin: true, loggedIn: true, storage: 'file', error: '' };
    },
  };
  return { hosted, controls };
}
