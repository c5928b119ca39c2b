/** Creates an object on the stand-in (our own server, so a plain POST is enough): setup for `cluster start`, the local stack and tests. */
export async function postObject(url: string, path: string, object: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(object),
  });
  if (!response.ok) throw new Error(`could not create ${path}: HTTP ${response.status} ${await response.text()}`);
}
