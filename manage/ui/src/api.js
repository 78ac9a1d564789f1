// The GraphQL client. It posts JSON to /graphql with the session cookie
// (same-site, SameSite=Lax, HttpOnly): the JSON content type needs a CORS
// preflight cross-site, which /graphql never grants, so no other site can
// make these calls with the administrator's cookie.

/** GraphQLError carries the answer's errors; field errors name
 * extensions.field (see ui.js showErrors). */
export class GraphQLError extends Error {
  constructor(errors, status) {
    super(errors.map((e) => e.message).join('\n') || `HTTP ${status}`);
    this.errors = errors;
    this.status = status;
  }
  /** code is the first error's extensions.code, e.g. BAD_USER_INPUT. */
  get code() {
    return this.errors[0]?.extensions?.code;
  }
}

/** gql runs a query or mutation and resolves to its data; it rejects
 * with a GraphQLError when the answer has errors. A signed-out session
 * (UNAUTHENTICATED) sends the browser to the sign-in page. */
export async function gql(query, variables = {}) {
  let res;
  try {
    res = await fetch('/graphql', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Accept: 'application/graphql-response+json, application/json' },
      body: JSON.stringify({ query, variables }),
    });
  } catch (e) {
    throw new GraphQLError([{ message: 'The server cannot be reached: ' + e.message }], 0);
  }
  let body;
  try {
    body = await res.json();
  } catch {
    throw new GraphQLError([{ message: `The server answered HTTP ${res.status} without a GraphQL answer.` }], res.status);
  }
  const errors = body.errors || [];
  if (errors.some((e) => e.extensions?.code === 'UNAUTHENTICATED')) {
    location.assign('/signin?next=' + encodeURIComponent(location.pathname + location.hash));
  }
  if (errors.length) throw new GraphQLError(errors, res.status);
  return body.data;
}
