// Database URL query parameters whose values MovR refuses, and the sentence after "has " that
// says so (src/db/url-parameters.ts): the CLI, the server's start and parseServerUrl's tests.
export const BAD_URL_PARAMETERS: readonly [query: string, problem: string][] = [
  [
    "connect_timeout=abc",
    'connect_timeout "abc"; connect_timeout is a whole number of seconds from 0 (no limit) to 600',
  ],
  [
    "connect_timeout=-1",
    'connect_timeout "-1"; connect_timeout is a whole number of seconds from 0 (no limit) to 600',
  ],
  [
    "connect_timeout=2.5",
    'connect_timeout "2.5"; connect_timeout is a whole number of seconds from 0 (no limit) to 600',
  ],
  [
    "connect_timeout=601",
    'connect_timeout "601"; connect_timeout is a whole number of seconds from 0 (no limit) to 600',
  ],
  [
    "statement_timeout=10s",
    'statement_timeout "10s"; statement_timeout is a whole number of milliseconds from 0 (none) to 2147483647',
  ],
  [
    "lock_timeout=abc",
    'lock_timeout "abc"; lock_timeout is a whole number of milliseconds from 0 (none) to 2147483647',
  ],
  [
    "idle_in_transaction_session_timeout=-5",
    'idle_in_transaction_session_timeout "-5"; idle_in_transaction_session_timeout is a whole number of milliseconds from 0 (none) to 2147483647',
  ],
  [
    "query_timeout=soon",
    'query_timeout "soon"; query_timeout is a whole number of milliseconds from 0 (none) to 2147483647',
  ],
  ["port=0x10", 'port "0x10"; a port is 1 to 65535'],
  [
    "sslmode=sometimes",
    'sslmode "sometimes"; sslmode is one of disable, allow, prefer, require, verify-ca, verify-full',
  ],
  ["ssl=yes", 'ssl "yes"; ssl is true, 1, no-verify, false or 0 (or use sslmode)'],
  [
    "ssl=false&sslmode=require",
    'ssl "false" and sslmode "require"; they disagree on TLS: give sslmode alone',
  ],
  ["sslnegotiation=tls", 'sslnegotiation "tls"; sslnegotiation is postgres or direct'],
  [
    "sslnegotiation=direct",
    'sslnegotiation "direct" and sslmode "disable"; direct TLS needs sslmode require, verify-ca or verify-full',
  ],
  [
    `application_name=${"a".repeat(64)}`,
    `application_name "${"a".repeat(20)}"; application_name is at most 63 characters without control characters`,
  ],
  [
    "fallback_application_name=a%01b",
    'fallback_application_name "a\\u0001b"; fallback_application_name is at most 63 characters without control characters',
  ],
  [
    "client_encoding=LATIN1",
    'client_encoding "LATIN1"; client_encoding can only be UTF8: MovR reads and writes UTF-8',
  ],
  ["binary=true", 'binary "true"; binary can only be false: MovR reads results as text'],
  [
    "replication=database",
    `replication "database"; replication can only be false: MovR's SQL does not run on a replication connection`,
  ],
];
