/*
 * api.js — tiny helpers shared by every page of the bilan d'orientation.
 *
 * Loaded WITHOUT `defer` in <head>: its first line marks <html> with the
 * class "js" before the first paint, so the stylesheet can hide what only
 * makes sense without JavaScript (and show what needs it) with no flash.
 * Everything else is exposed on `window.Api` for the deferred page scripts.
 */
(function () {
  'use strict';

  document.documentElement.classList.add('js');

  /** Messages used when the server (or a proxy in front of it) gives no JSON error body. */
  var FALLBACK_MESSAGES = {
    0: 'Impossible de joindre le serveur. Vérifiez votre connexion internet puis réessayez.',
    400: 'La demande est invalide. Vérifiez vos réponses puis réessayez.',
    401: 'Votre session a expiré. Connectez-vous à nouveau pour continuer.',
    403: 'Cette action ne vous est pas autorisée.',
    404: 'Élément introuvable.',
    413: 'Vos réponses sont trop longues. Raccourcissez les textes puis réessayez.',
    415: 'Format de demande non pris en charge.',
    429: 'Trop de demandes en peu de temps. Patientez une minute puis réessayez.',
    500: 'Une erreur est survenue de notre côté. Réessayez dans quelques instants.',
    503: 'Le service est momentanément indisponible. Réessayez dans quelques instants.'
  };

  function fallbackMessage(status) {
    if (FALLBACK_MESSAGES[status]) return FALLBACK_MESSAGES[status];
    if (status >= 500) return FALLBACK_MESSAGES[500];
    return FALLBACK_MESSAGES[400];
  }

  /**
   * Error thrown for every failed request.
   * status: HTTP status (0 = network failure or timeout); code, field, message:
   * from the server's {"error","message","field"} body when there is one.
   */
  function ApiError(status, body) {
    body = body || {};
    this.name = 'ApiError';
    this.status = status;
    this.code = typeof body.error === 'string' ? body.error : (status === 0 ? 'network' : 'http_' + status);
    this.field = typeof body.field === 'string' ? body.field : null;
    this.message = typeof body.message === 'string' && body.message ? body.message : fallbackMessage(status);
    this.body = body;
  }
  ApiError.prototype = Object.create(Error.prototype);
  ApiError.prototype.constructor = ApiError;

  function isJSON(response) {
    var type = response.headers.get('Content-Type') || '';
    return /\bjson\b/i.test(type);
  }

  /**
   * Low-level request. Resolves to {status, headers, data, response} for 2xx
   * (and for 304, which polling uses); rejects with ApiError otherwise.
   * options: method, headers, body, timeout (ms, default 20000), signal.
   */
  function request(url, options) {
    options = options || {};
    var controller = typeof AbortController === 'function' ? new AbortController() : null;
    var timer = null;
    if (controller) {
      timer = setTimeout(function () { controller.abort(); }, options.timeout || 20000);
      if (options.signal) {
        options.signal.addEventListener('abort', function () { controller.abort(); });
      }
    }
    var headers = Object.assign({ 'Accept': 'application/json' }, options.headers || {});
    return fetch(url, {
      method: options.method || 'GET',
      headers: headers,
      body: options.body,
      credentials: 'same-origin',
      cache: 'no-store',
      redirect: 'follow',
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      if (timer) clearTimeout(timer);
      var parse = isJSON(response)
        ? response.json().catch(function () { return null; })
        : Promise.resolve(null);
      return parse.then(function (data) {
        if (response.ok || response.status === 304) {
          return { status: response.status, headers: response.headers, data: data, response: response };
        }
        throw new ApiError(response.status, data);
      });
    }, function () {
      if (timer) clearTimeout(timer);
      throw new ApiError(0, null);
    });
  }

  function getJSON(url, options) {
    return request(url, options).then(function (r) { return r.data; });
  }

  function postJSON(url, payload, options) {
    options = Object.assign({}, options || {});
    options.method = 'POST';
    options.headers = Object.assign({ 'Content-Type': 'application/json' }, options.headers || {});
    options.body = JSON.stringify(payload);
    return request(url, options);
  }

  /** POSTs application/x-www-form-urlencoded (same encoding as a plain HTML form). */
  function postForm(url, fields, options) {
    options = Object.assign({}, options || {});
    var body = new URLSearchParams();
    Object.keys(fields).forEach(function (key) {
      var value = fields[key];
      (Array.isArray(value) ? value : [value]).forEach(function (v) {
        if (v !== undefined && v !== null) body.append(key, String(v));
      });
    });
    options.method = 'POST';
    options.headers = Object.assign({ 'Content-Type': 'application/x-www-form-urlencoded;charset=UTF-8' }, options.headers || {});
    options.body = body.toString();
    return request(url, options);
  }

  /* ---- French dates -------------------------------------------------- */

  function toDate(value) {
    if (!value) return null;
    var d = value instanceof Date ? value : new Date(value);
    return isNaN(d.getTime()) ? null : d;
  }

  /** "12 septembre 2027" ("1er septembre 2027" on the first day of a month). */
  function formatDate(value) {
    var d = toDate(value);
    if (!d) return '';
    var month = new Intl.DateTimeFormat('fr-FR', { month: 'long' }).format(d);
    var day = d.getDate();
    return (day === 1 ? '1er' : String(day)) + ' ' + month + ' ' + d.getFullYear();
  }

  /** "12 septembre 2027 à 14 h 05". */
  function formatDateTime(value) {
    var d = toDate(value);
    if (!d) return '';
    var mm = d.getMinutes();
    return formatDate(d) + ' à ' + d.getHours() + ' h ' + (mm < 10 ? '0' : '') + mm;
  }

  /** Accepts only a same-site path ("/x", not "//host" nor "/\host"), else the fallback. */
  function safePath(value, fallback) {
    if (typeof value === 'string' && /^\/(?![\/\\])/.test(value)) return value;
    return fallback;
  }

  window.Api = {
    ApiError: ApiError,
    request: request,
    getJSON: getJSON,
    postJSON: postJSON,
    postForm: postForm,
    formatDate: formatDate,
    formatDateTime: formatDateTime,
    safePath: safePath
  };
})();
