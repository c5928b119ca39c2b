/** Microsoft.Storage.BlobCreated events in the Event Grid schema, as the docs show them, for tests. */
let sequence = 0x100;

export interface BlobEventOptions {
  readonly api?: string;
  readonly contentLength?: number;
  /** `blob` or `dfs`: writers report either. */
  readonly host?: string;
  readonly cloud?: string;
  readonly account?: string;
}

export function blobCreated(filesystem: string, path: string, eTag: string, options: BlobEventOptions = {}) {
  const { api = 'PutBlob', contentLength = 100, host = 'blob', cloud = 'core.windows.net', account = 'sparkdispatchdemo' } = options;
  const seq = (++sequence).toString(16).padStart(16, '0');
  return {
    id: `evt-${seq}`,
    topic: `/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/${account}`,
    subject: `/blobServices/default/containers/${filesystem}/blobs/${path}`,
    eventType: 'Microsoft.Storage.BlobCreated',
    eventTime: '2026-11-22T23:59:58.1234567Z',
    dataVersion: '',
    metadataVersion: '1',
    data: {
      api,
      clientRequestId: 'c0ffee00-0000-0000-0000-000000000000',
      requestId: 'abcdef00-701e-0000-0000-000000000000',
      eTag,
      contentType: 'application/octet-stream',
      contentLength,
      blobType: 'BlockBlob',
      url: `https://${account}.${host}.${cloud}/${filesystem}/${path}`,
      sequencer: `00000000000000000000000000001f7e00000000${seq}`,
      storageDiagnostics: { batchId: 'b0000000-0000-0000-0000-000000000000' },
    },
  };
}
