import { GraphiQL, type GraphiQLProps } from 'graphiql';
import 'graphiql/graphiql.css';
import { StrictMode, useEffect, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { examples } from './examples';
import { currentViewer, type Viewer } from './session';
import './playground.css';

type Plugin = NonNullable<GraphiQLProps['plugins']>[number];

const LOGIN_URL = '/connexion?suite=/graphql';
const DEFAULT_TABS = examples.map((e) => ({ query: e.query }));

/** Same-origin requests carry the session cookie; the server decides what the caller may see. */
const fetcher: GraphiQLProps['fetcher'] = async (params) => {
  const res = await fetch('/graphql', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(params),
  });
  return res.json();
};

function ExampleList({ onPick }: { onPick: (query: string) => void }) {
  return (
    <section className="examples" aria-labelledby="examples-title">
      <h2 id="examples-title">Exemples de requêtes</h2>
      <p>Chaque exemple remplace la requête de l'onglet courant ; exécutez-la avec ▶ (Ctrl+Entrée).</p>
      <ul>
        {examples.map((e) => (
          <li key={e.title}>
            <button type="button" onClick={() => onPick(e.query)}>
              {e.title}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** GraphiQL's documentation explorer and history stay; this panel is added next to them. */
function examplesPlugin(onPick: (query: string) => void): Plugin {
  return {
    title: 'Exemples',
    icon: () => <span aria-hidden="true" className="examples-icon">★</span>,
    content: () => <ExampleList onPick={onPick} />,
  };
}

function Header({ viewer }: { viewer: Viewer | null }) {
  return (
    <header className="app-header">
      <h1>e-mage — Playground GraphQL</h1>
      <nav aria-label="Navigation">
        {viewer && (
          <span data-testid="user-name" className="user">
            {viewer.displayName}
          </span>
        )}
        <a href="/">Retour au portail</a>
      </nav>
    </header>
  );
}

function SignedOut() {
  return (
    <main className="signed-out">
      <h2>Connexion requise</h2>
      <p>Le playground GraphQL est réservé aux utilisateurs connectés (analystes et administrateurs pour les statistiques).</p>
      <p>
        <a className="button" href={LOGIN_URL}>
          Se connecter
        </a>
      </p>
    </main>
  );
}

function App() {
  // GraphiQL copies a changed `query` prop into the current tab's editor.
  const [picked, setPicked] = useState<string | undefined>(undefined);
  // Stable identities: GraphiQL resets its plugin state whenever the list changes.
  const plugin = useMemo(() => examplesPlugin(setPicked), []);
  const plugins = useMemo(() => [plugin], [plugin]);
  const [state, setState] = useState<{ status: 'loading' } | { status: 'ready'; viewer: Viewer | null } | { status: 'error' }>({ status: 'loading' });
  useEffect(() => {
    currentViewer()
      .then((viewer) => setState({ status: 'ready', viewer }))
      .catch(() => setState({ status: 'error' }));
  }, []);

  if (state.status === 'loading') {
    return (
      <>
        <Header viewer={null} />
        <p className="status" role="status">Chargement…</p>
      </>
    );
  }
  if (state.status === 'error') {
    return (
      <>
        <Header viewer={null} />
        <p className="status" role="alert">Le portail ne répond pas. Réessayez dans un instant.</p>
      </>
    );
  }
  if (!state.viewer) {
    return (
      <>
        <Header viewer={null} />
        <SignedOut />
      </>
    );
  }
  return (
    <>
      <Header viewer={state.viewer} />
      <main className="graphiql-host">
        <GraphiQL
          fetcher={fetcher}
          plugins={plugins}
          visiblePlugin={plugin}
          query={picked}
          defaultQuery={examples[0]?.query}
          defaultTabs={DEFAULT_TABS}
          defaultEditorToolsVisibility={false}
        />
      </main>
    </>
  );
}

const root = document.getElementById('playground');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
