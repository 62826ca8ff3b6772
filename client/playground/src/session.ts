/** The signed-in user, asked of the portal before the playground opens. */
export interface Viewer {
  displayName: string;
  role: string;
}

export async function currentViewer(): Promise<Viewer | null> {
  const res = await fetch('/graphql', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query: 'query PlaygroundSession { me { displayName role } }' }),
  });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const body = (await res.json()) as { data?: { me: Viewer | null } };
  return body.data?.me ?? null;
}
