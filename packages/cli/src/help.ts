/** The `--help` text of the command and of each subcommand. */

export const MAIN_HELP = `Usage: m2m-guard <command> [options]

Checks OAuth 2.0 client-credentials setups the way @m2m-guard/core sees them.

Commands:
  doctor   is this issuer usable? discovery, keys, caching, clock, TLS
  explain  why does this token pass or fail? runs the real verifier
  decode   show a token's header and claims (does not verify)

Run m2m-guard <command> --help for its options.
Exit status: 0 all is well, 1 a check failed, 2 a usage error.`

export const DOCTOR_HELP = `Usage: m2m-guard doctor --issuer URL --audience AUD [options]
       m2m-guard doctor --config FILE [options]

Checks, one line each, what a verifier for this issuer depends on: discovery
(RFC 8414, then OpenID), that the metadata names exactly this issuer, the
JWKS (reachable, time, keys and algorithms, Cache-Control), redirects, TLS,
and clock skew from the issuer's Date header; then runs core's verifier
warm-up against it.

Options:
  --issuer URL             the issuer, exactly as tokens carry it in iss
  --audience AUD           the audience your API expects
  --config FILE            instead: every issuer of your verifier options
                           (m2m.config.json, .js or .mjs, as explain takes)
  --jwks-uri URL           the key set's URL, skipping discovery (as the jwksUri option)
  --allow-insecure-http    accept plain http on non-loopback hosts (as allowInsecureHttp)
  --clock-tolerance S      seconds of skew the verifier allows (default 5)
  --timeout MS             per request (default 5000, core's jwksCache.timeout)
  --json                   print the report as JSON
  -h, --help               this help

Example:
  m2m-guard doctor --issuer https://acme.eu.auth0.com/ \\
    --audience https://orders.example.com`

export const EXPLAIN_HELP = `Usage: m2m-guard explain TOKEN|- [options]
       m2m-guard explain TOKEN|- [options] --dpop PROOF|- --url URL [--method M]
       m2m-guard explain TOKEN|- [options] --cert FILE

Runs @m2m-guard/core's verifier on the token and prints each check in order
(shape, header, alg, key, signature, iss, aud, exp, nbf, iat, typ, binding,
scopes, client), the verdict, the exact HTTP answer (status, WWW-Authenticate,
body) and a fix for the first failure. The token and the proof are sent
nowhere; the verifier only fetches the issuer's metadata and keys. The
signature is never printed.

Give - to read the token from standard input (keeps it out of shell history).
A DPoP-bound token (cnf.jkt) needs the request's proof, a certificate-bound
one (cnf["x5t#S256"]) its client certificate: explain then verifies the
request as the adapters do (authenticateRequest), turning dpop or mtls on if
the options leave them unset. TOKEN may keep its scheme ("DPoP eyJ…",
"Bearer eyJ…"): explain presents it with that scheme, as the client did.

Options:
  --config FILE            verifier options from m2m.config.json, .js or .mjs
                           (a .js default export may use core's presets)
  --issuer URL             expected iss (instead of --config)
  --audience AUD           expected aud (instead of --config)
  --jwks-uri URL           the key set's URL, skipping discovery
  --require-typ            demand typ at+jwt (RFC 9068)
  --clock-tolerance S      seconds of skew allowed for exp, nbf, iat (default 5)
  --allow-insecure-http    accept plain http on non-loopback hosts
  --scope SCOPE            a scope the route requires (repeatable)
  --client ID              a client the route allows (repeatable)
  --timeout MS             per metadata/JWKS request (default 5000)
  --dpop PROOF             the request's DPoP header (- reads it from standard input)
  --url URL                the request's absolute URL as the service builds it
                           (required with --dpop; compared with the proof's htu)
  --method M               the request's method (default GET; the proof's htm)
  --cert FILE              the client certificate (PEM or DER), for a certificate-bound token
  --json                   print the report as JSON
  -h, --help               this help

Examples:
  m2m-guard explain "$TOKEN" --issuer https://idp.example \\
    --audience https://orders.example --scope orders:read
  pbpaste | m2m-guard explain - --config m2m.config.js
  m2m-guard explain "$TOKEN" --config m2m.config.json \\
    --dpop "$PROOF" --method POST --url https://orders.example/orders`

export const DECODE_HELP = `Usage: m2m-guard decode TOKEN|- [--json]

Shows a JWT's header and claims, with times as dates and relative to now
("expires in 4 min"). Verifies nothing: anyone can write these claims; use
m2m-guard explain to verify. The signature is never printed.

Options:
  --json       print header, claims and times as JSON
  -h, --help   this help`
