import { Api, ApiError } from './api.js';
import { byId } from './dom.js';
import { MemoryPanel } from './memory-panel.js';
import { Notices } from './notices.js';
import { ScopeList } from './scope-list.js';
import { ScopeView } from './scope-view.js';

/**
 * The page: the scope list on the left, the chosen scope's memories in the
 * middle, a memory's history and its correction on the right. Everything goes
 * through Engram's REST API, so the page can do nothing a client could not.
 */
function start(): void {
  const api = new Api();
  takeTokenFromUrl(api);
  const notices = new Notices();
  let view: ScopeView | undefined;
  const panel = new MemoryPanel(api, notices, async () => view?.refresh());
  const scopes: ScopeList = new ScopeList(
    api,
    notices,
    (owner) => {
      scopes.select(owner);
      void view?.open(owner);
    },
    (owners) => view?.recount(owners),
  );
  view = new ScopeView(api, notices, panel, (forgotten) => {
    if (forgotten) scopes.select(undefined);
    void scopes.reload();
  });
  const tokenForm = byId<HTMLFormElement>('token-form');
  tokenForm.addEventListener('submit', (event) => {
    event.preventDefault();
    api.token = byId<HTMLInputElement>('token-input').value.trim() || undefined;
    void begin();
  });
  const begin = async () => {
    try {
      // One authorised call first: a wrong or missing token asks for the token instead of failing everywhere.
      await api.get('/scopes', { limit: 1 });
    } catch (error) {
      if (error instanceof ApiError && error.code === 'UNAUTHORIZED') {
        api.token = undefined;
        tokenForm.hidden = false;
        notices.fail(error);
        byId('token-input').focus();
        return;
      }
      notices.fail(error);
      return;
    }
    tokenForm.hidden = true;
    notices.clear();
    await scopes.reload();
  };
  void begin();
}

/**
 * `engram ui` opens `/#token=…`: the fragment never reaches the server, a log
 * or a Referer. The page keeps it for this tab and takes it out of the address bar.
 */
function takeTokenFromUrl(api: Api): void {
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  if (token === null) return;
  api.token = token;
  history.replaceState(null, '', location.pathname + location.search);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
