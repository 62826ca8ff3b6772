import { GraphiQL } from 'graphiql';
import 'graphiql/graphiql.css';
import { createRoot } from 'react-dom/client';
import { examples } from './examples';

interface FetcherParams {
  query: string;
  operationName?: string | null;
  variables?: unknown;
}

/** Same-origin requests carry the session cookie; the server decides what the caller may see. */
async function fetcher(params: FetcherParams): Promise<unknown> {
  const res = await fetch('/graphql', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(params),
  });
  return res.json();
}

const root = document.getElementById('playground');
if (root) {
  createRoot(root).render(<GraphiQL fetcher={fetcher} defaultQuery={examples[0]?.query} defaultTabs={examples.map((e) => ({ query: e.query }))} />);
}
