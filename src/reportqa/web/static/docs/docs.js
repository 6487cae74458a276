/* The API docs page: Swagger UI over the app's own /openapi.json, from files served by the app itself.
 * A static file rather than an inline script, so the page runs under the app's CSP (script-src 'self'). */
"use strict";

window.addEventListener("DOMContentLoaded", () => {
  window.ui = window.SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null, // the default badge would ask validator.swagger.io about the spec: no network here
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
