import BilanCore

/// A minimal French page (message and one link) for the few HTML answers
/// that need no template: an expired login link, an error without JS.
public enum SimplePage {
    public static func render(title: String, message: String, linkText: String, linkHref: String) -> String {
        let e = HTMLEscaping.escape
        return """
            <!doctype html>
            <html lang="fr"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(e(title))</title><link rel="stylesheet" href="/assets/site.css"></head>
            <body><main class="container"><section class="card" role="alert">
            <h1>\(e(title))</h1><p>\(e(message))</p><p><a class="button" href="\(e(linkHref))">\(e(linkText))</a></p>
            </section></main></body></html>
            """
    }
}
