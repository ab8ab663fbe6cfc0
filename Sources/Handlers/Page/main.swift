// bilan-page: the result page, its PDF and the history; FastCGI responder or CGI program.
import BilanWeb

WebProgram.run(
    program: "bilan-page",
    routes: ["GET /orientation/resultat/<id>", "GET /orientation/resultat/<id>.pdf", "GET /orientation/historique"]
) { context in PageRoute(context: context) }
