/**
 * Credentials in what a job sends. Spark conf ends up in a ConfigMap and env and args in the pod
 * spec, both readable by anyone who can read the namespace, so a secret there leaks. Shared by
 * the conf policy, the env rule and the schema's problem rendering (which never echoes one back).
 */

/**
 * Recognises values that are credentials. Each rule is a known, specific format (a false
 * positive rejects a legitimate job, so there is no fuzzy "looks random" rule for short values).
 */
const SECRET_VALUES: readonly { readonly what: string; readonly test: RegExp }[] = [
  { what: 'an Azure storage account key', test: /(^|[^A-Za-z0-9+/])[A-Za-z0-9+/]{86}==($|[^A-Za-z0-9+/=])/ },
  { what: 'a connection string with a key', test: /(AccountKey|SharedAccessKey|SharedAccessSignature)\s*=/i },
  { what: 'a SAS token', test: /(^|[?&])sig=[A-Za-z0-9%+/=]{16,}/ },
  { what: 'a SAS token', test: /(^|[?&])sv=\d{4}-\d{2}-\d{2}&.*(sig|se)=/ },
  { what: 'a JSON Web Token', test: /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/ },
  { what: 'a private key', test: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ },
  { what: 'an AWS access key id', test: /(^|[^A-Z0-9])(AKIA|ASIA)[A-Z0-9]{16}($|[^A-Z0-9])/ },
  { what: 'a GitHub token', test: /\b(ghp|gho|ghu|ghs|ghr|github_pat)_[A-Za-z0-9_]{20,}/ },
  { what: 'a password in a URL', test: /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i },
  { what: 'an Azure AD client secret', test: /(^|[^A-Za-z0-9~._-])[A-Za-z0-9_.-]{3}8Q~[A-Za-z0-9_.~-]{31,34}($|[^A-Za-z0-9~._-])/ },
];

export function secretKind(value: string): string | undefined {
  return SECRET_VALUES.find((s) => s.test.test(value))?.what;
}

// The end of a key that names a credential: spark.ssl.keyPassword, spark.ssl.trustStorePassword,
// …secret.key, …sas.token, …accessKey. Spark's own names are camelCase, so no separator is required
// before the word; the short, ambiguous `pwd` and `sas` need one.
const SECRET_KEY_NAME =
  /((password|passwd|secret|token|credentials?|api[._-]?key|access[._-]?key|private[._-]?key|account[._-]?key|connection[._-]?string)s?|[._-](pwd|sas))$/i;

/** A conf key (or a variable name) whose value would be a credential, whatever the value is. */
export function namesACredential(key: string): boolean {
  return SECRET_KEY_NAME.test(key);
}
