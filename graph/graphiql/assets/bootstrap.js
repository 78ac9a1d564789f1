// Starts GraphiQL on the page served by package graphiql. It lives in its own
// file, not inline in the HTML, so the page's Content-Security-Policy can keep
// script-src to 'self' without nonces or 'unsafe-inline'.
(function () {
  'use strict';

  var container = document.getElementById('graphiql');
  // The Go handler puts the endpoint into this attribute through html/template,
  // which escapes it; reading it back as an attribute value needs no decoding.
  var endpoint = container.getAttribute('data-endpoint');

  var fetcher = GraphiQL.createFetcher({
    url: endpoint,
    // Send the portal's session cookies with every request to the (same-origin)
    // endpoint. Headers typed into the headers editor, for example
    // {"Authorization": "Bearer ..."}, are merged in by GraphiQL itself.
    fetch: function (input, init) {
      return window.fetch(input, Object.assign({}, init, { credentials: 'same-origin' }));
    },
  });

  ReactDOM.createRoot(container).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      // The headers editor lets a user set e.g. an Authorization header.
      isHeadersEditorEnabled: true,
      // Do not write headers (which may hold bearer tokens) to localStorage.
      shouldPersistHeaders: false,
    })
  );
})();
